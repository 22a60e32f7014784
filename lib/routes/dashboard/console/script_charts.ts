/**
 * The console script, part 3: the last hour as hand-drawn SVG (no library,
 * nothing fetched): stacked bars per minute with optional lines on top, a
 * y axis rounded to a readable maximum, and a `<title>` per minute for the
 * values under the pointer. Each chart carries a text summary for screen
 * readers, and every bar says its minute and value in `data-*` attributes.
 * The per-account chart shows tokens or dollars (the series' micro-dollars),
 * as its toggle says.
 *
 * @module
 */

export const SCRIPT_CHARTS = String.raw`
const SVGNS = "http://www.w3.org/2000/svg";
const PALETTE = ["#58a6ff", "#3fb950", "#d2a8ff", "#f0883e", "#39c5cf", "#ff7b72", "#e3b341", "#8b949e"];

function svgEl(tag, attrs, ...children) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [name, value] of Object.entries(attrs || {})) if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  for (const child of children) if (child) node.append(child);
  return node;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Draws one chart. stacks: [{name, color, values}] drawn as stacked bars;
 * lines: [{name, color, values (null = gap), dash}]; format(v) labels the axis.
 */
function drawChart(figure, name, options) {
  const W = 360, H = 150, L = 42, R = 6, T = 8, B = 18;
  const stacks = options.stacks || [], lines = options.lines || [];
  const n = (stacks[0] || lines[0] || { values: [] }).values.length;
  const format = options.format || compact;
  let top = 0;
  for (let i = 0; i < n; i++) {
    top = Math.max(top, stacks.reduce((sum, s) => sum + (s.values[i] || 0), 0));
    for (const line of lines) if (line.values[i] !== null) top = Math.max(top, line.values[i] || 0);
  }
  const max = niceMax(top);
  const x = (i) => L + (W - L - R) * i / Math.max(1, n);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const width = Math.max(1, (W - L - R) / Math.max(1, n) - 1);
  const root = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "data-chart": name, "data-max": max });
  for (const v of [0, max / 2, max]) {
    root.append(svgEl("line", { class: "grid-line", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    root.append(svgEl("text", { class: "axis", x: L - 6, y: y(v) + 3, "text-anchor": "end" }, document.createTextNode(format(v))));
  }
  for (const [i, label] of [[0, "60 min ago"], [Math.floor(n / 2), "30 min"], [n - 1, "now"]]) {
    root.append(svgEl("text", { class: "axis", x: x(i) + width / 2, y: H - 5, "text-anchor": i === 0 ? "start" : i === n - 1 ? "end" : "middle" }, document.createTextNode(label)));
  }
  for (let i = 0; i < n; i++) {
    let base = 0;
    const parts = [];
    for (const s of stacks) {
      const v = s.values[i] || 0;
      if (v > 0) {
        root.append(svgEl("rect", { x: x(i), y: y(base + v), width, height: Math.max(1, y(base) - y(base + v)), fill: s.color,
          "data-minute": i, "data-series": s.name, "data-value": v }));
      }
      base += v;
      parts.push(s.name + " " + format(v));
    }
    for (const line of lines) parts.push(line.name + " " + (line.values[i] === null ? "—" : format(line.values[i] || 0)));
    const minutesAgo = n - 1 - i;
    // An invisible column per minute: its title is what the pointer shows.
    root.append(svgEl("rect", { x: x(i), y: T, width: width + 1, height: H - T - B, fill: "transparent" },
      svgEl("title", {}, document.createTextNode((minutesAgo === 0 ? "this minute" : minutesAgo + " min ago") + ": " + parts.join(", ")))));
  }
  for (const line of lines) {
    let d = "";
    let pen = false;
    line.values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      d += (pen ? " L" : " M") + (x(i) + width / 2).toFixed(1) + " " + y(v).toFixed(1);
      pen = true;
    });
    if (d) {
      root.append(svgEl("path", { d: d.trim(), fill: "none", stroke: line.color, "stroke-width": 2, "stroke-dasharray": line.dash,
        "stroke-linejoin": "round", "data-series": line.name, "pointer-events": "none" }));
    }
    line.values.forEach((v, i) => {
      if (v === null || !(v > 0)) return;
      const lone = (line.values[i - 1] === null || line.values[i - 1] === undefined) && (line.values[i + 1] === null || line.values[i + 1] === undefined);
      if (lone || options.dots) {
        root.append(svgEl("circle", { cx: x(i) + width / 2, cy: y(v), r: 2.5, fill: line.color, "data-minute": i, "data-series": line.name, "data-value": v, "pointer-events": "none" }));
      }
    });
  }
  const last = (values) => values.length ? values[values.length - 1] : 0;
  root.setAttribute("aria-label", options.summary || ([...stacks, ...lines].map((s) => s.name + " this minute " + format(last(s.values) || 0)).join(", ")));
  figure.querySelector(".plot").replaceChildren(root);
  figure.querySelector(".legend").replaceChildren(...[...stacks, ...lines].map((s) =>
    el("span", {}, el("i", { style: "background:" + s.color }), s.name)));
}

function ms(v) {
  if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + " s";
  return (v < 100 && v % 1 ? v.toFixed(1) : Math.round(v)) + " ms";
}

let chartUnit = "tokens";

/** Micro-dollars as a short dollar figure. */
function microUsd(v) {
  const d = v / 1e6;
  return "$" + (d === 0 ? "0" : d >= 10 ? d.toFixed(0) : d >= 0.1 ? d.toFixed(2) : d.toPrecision(2));
}

for (const button of document.querySelectorAll("#chart-tokens [data-unit]")) {
  button.addEventListener("click", () => {
    chartUnit = button.dataset.unit;
    if (snap) renderCharts(snap.series);
  });
}

function renderCharts(series) {
  if (!series) return;
  const served = series.requests.map((v, i) => Math.max(0, v - (series.errors[i] || 0)));
  drawChart($("chart-requests"), "requests", {
    stacks: [{ name: "served", color: "#58a6ff", values: served }, { name: "errors", color: "#f85149", values: series.errors }],
    lines: [{ name: "failovers", color: "#d29922", values: series.failovers.map((v) => v || null), dots: true }],
    dots: true,
  });
  const dollars = chartUnit === "usd";
  const byAccount = dollars ? series.cost || {} : series.tokens;
  const accounts = Object.keys(byAccount);
  const empty = dollars ? "No cost in the last hour" : "No tokens in the last hour";
  $("chart-tokens-title").textContent = dollars ? "Cost per minute by account (USD)" : "Tokens per minute by account";
  for (const button of document.querySelectorAll("#chart-tokens [data-unit]")) button.setAttribute("aria-pressed", String(button.dataset.unit === chartUnit));
  drawChart($("chart-tokens"), dollars ? "cost" : "tokens", {
    stacks: accounts.map((id, i) => ({ name: id, color: PALETTE[i % PALETTE.length], values: byAccount[id] })),
    format: dollars ? microUsd : compact,
    summary: accounts.length ? undefined : empty,
  });
  if (!accounts.length) $("chart-tokens").querySelector(".legend").replaceChildren(el("span", { class: "empty", text: empty + "." }));
  drawChart($("chart-ttfb"), "ttfb", {
    lines: [
      { name: "p50", color: "#58a6ff", values: series.ttfb.p50 },
      { name: "p90", color: "#d29922", values: series.ttfb.p90 },
      { name: "p99", color: "#f85149", values: series.ttfb.p99, dash: "4 3" },
    ],
    format: ms,
  });
}
`;
