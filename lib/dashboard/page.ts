/**
 * The dashboard: one HTML page with inline CSS and script, no build step.
 * The page itself holds no data. After the operator signs in with the admin
 * token (kept in `sessionStorage`, sent as a Bearer header, never in a URL),
 * it reads `GET /admin/events`, a server-sent event stream, with `fetch` so
 * the token can travel in a header, and redraws on every snapshot. Cooldown
 * countdowns (the account's, each resting model's, and a disabled account's
 * next half-open probe) tick in the browser. The layout is a single column on
 * a phone.
 *
 * @module
 */

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard</title>
<style>
  :root { --bg:#0f1419; --panel:#182029; --line:#263241; --text:#e6edf3; --dim:#8b98a5;
          --ok:#3fb950; --warn:#d29922; --bad:#f85149; --accent:#58a6ff; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
         background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:.75rem; padding:.8rem 1rem;
           border-bottom:1px solid var(--line); position:sticky; top:0; background:var(--bg); z-index:1; }
  header h1 { font-size:1.1rem; margin:0; flex:1; }
  .dot { width:.6rem; height:.6rem; border-radius:50%; background:var(--dim); display:inline-block; }
  .dot.live { background:var(--ok); box-shadow:0 0 6px var(--ok); }
  main { padding:1rem; max-width:1100px; margin:0 auto; }
  h2 { font-size:.8rem; text-transform:uppercase; letter-spacing:.08em; color:var(--dim); margin:1.4rem 0 .6rem; }
  .grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(250px,1fr)); gap:.75rem; }
  .card { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:.8rem .9rem; }
  .card .top { display:flex; justify-content:space-between; align-items:center; gap:.5rem; }
  .card .id { font-weight:600; overflow-wrap:anywhere; }
  .badge { font-size:.75rem; font-weight:600; padding:.1rem .55rem; border-radius:999px; white-space:nowrap; }
  .state-active { background:rgba(63,185,80,.15); color:var(--ok); }
  .state-cooling { background:rgba(210,153,34,.15); color:var(--warn); }
  .state-disabled { background:rgba(248,81,73,.15); color:var(--bad); }
  .meta { color:var(--dim); font-size:.85rem; margin-top:.35rem; }
  .kv { display:flex; flex-wrap:wrap; gap:.2rem 1rem; margin-top:.45rem; font-size:.85rem; }
  .kv b { font-weight:600; }
  .countdown, .tick { color:var(--warn); font-variant-numeric:tabular-nums; }
  .bar { height:6px; background:var(--line); border-radius:3px; overflow:hidden; margin-top:.2rem; }
  .bar i { display:block; height:100%; background:var(--accent); }
  table { width:100%; border-collapse:collapse; font-size:.88rem; }
  th, td { text-align:left; padding:.45rem .4rem; border-bottom:1px solid var(--line); }
  th { color:var(--dim); font-weight:500; }
  td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
  ul.events { list-style:none; margin:0; padding:0; }
  ul.events li { padding:.45rem .2rem; border-bottom:1px solid var(--line); font-size:.88rem; }
  .empty { color:var(--dim); font-size:.9rem; }
  form.signin { max-width:360px; margin:4rem auto; background:var(--panel); padding:1.2rem;
                border:1px solid var(--line); border-radius:10px; }
  input, button { font:inherit; border-radius:8px; border:1px solid var(--line); padding:.6rem .7rem; }
  input { width:100%; background:var(--bg); color:var(--text); margin:.5rem 0 .8rem; }
  button { background:var(--accent); color:#031; border:none; font-weight:600; cursor:pointer; }
  button.plain { background:none; color:var(--dim); border:1px solid var(--line); padding:.3rem .6rem; }
  .error { color:var(--bad); font-size:.88rem; min-height:1.2em; }
  .scroll { overflow-x:auto; }
  @media (max-width:600px) { main { padding:.7rem; } .hide-sm { display:none; } }
</style>
</head>
<body>
<header>
  <h1>Switchyard</h1>
  <span id="status" class="meta"><span class="dot"></span> offline</span>
  <button id="signout" class="plain" hidden>Sign out</button>
</header>
<form id="signin" class="signin" hidden>
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required>
  <div id="signin-error" class="error" role="alert"></div>
  <button type="submit">Sign in</button>
</form>
<main id="app" hidden>
  <h2>Accounts</h2>
  <div id="accounts" class="grid"></div>
  <h2>Recent failovers</h2>
  <ul id="failovers" class="events"></ul>
  <h2>Usage by key today (UTC)</h2>
  <div class="scroll"><table>
    <thead><tr><th>Key</th><th class="hide-sm">Group</th><th class="n">Requests</th>
      <th class="n">Input</th><th class="n">Output</th><th class="n hide-sm">Cached</th><th>Daily limit</th></tr></thead>
    <tbody id="keys"></tbody>
  </table></div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const STATE_LABEL = { active: "active", cooldown: "cooling", disabled: "disabled" };
let token = sessionStorage.getItem("switchyard-token");
let stream = null;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}
const fmt = (n) => Number(n || 0).toLocaleString("en-US");

function remaining(until, kind) {
  const s = Math.max(0, Math.ceil((Date.parse(until) - Date.now()) / 1000));
  const probe = kind === "probe";
  if (s === 0) return probe ? "probe due" : "returning now";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (probe ? "probe in " : "back in ") + (h ? h + "h " : "") + (h || m ? m + "m " : "") + r + "s";
}

function quotaView(quota) {
  if (!quota || typeof quota !== "object") return null;
  const box = el("div", { class: "meta" });
  for (const [name, win] of Object.entries(quota)) {
    if (!win || typeof win !== "object") continue;
    const used = Number(win.usedPercent ?? win.used_percent ?? win.utilization);
    const line = el("div", {}, name + ": " + (Number.isFinite(used) ? used + "% used" : JSON.stringify(win)));
    if (Number.isFinite(used)) line.append(el("div", { class: "bar" }, el("i", { style: "width:" + Math.min(100, used) + "%" })));
    box.append(line);
  }
  return box.childNodes.length ? box : null;
}

function render(snap) {
  const accounts = $("accounts");
  accounts.replaceChildren(...snap.accounts.map((a) => {
    const label = STATE_LABEL[a.state] || a.state;
    const card = el("div", { class: "card", dataset: { account: a.id, state: label } },
      el("div", { class: "top" }, el("span", { class: "id" }, a.id),
        el("span", { class: "badge state state-" + label, "data-testid": "state" }, label)),
      el("div", { class: "meta" }, [a.platform, a.passthrough ? "passthrough" : null, a.source ? "from " + a.source : null].filter(Boolean).join(" · ")));
    if (a.state === "cooldown" && a.until) {
      card.append(el("div", { class: "countdown", dataset: { until: a.until } }, remaining(a.until)));
    }
    if (a.reason) card.append(el("div", { class: "meta" }, String(a.reason)));
    if (a.state === "disabled" && a.probeAt) {
      card.append(el("div", { class: "meta probe" }, "next probe " + new Date(a.probeAt).toLocaleTimeString() + " · ",
        el("span", { class: "tick", dataset: { until: a.probeAt, kind: "probe" } }, remaining(a.probeAt, "probe"))));
    }
    for (const m of a.modelCooldowns || []) {
      card.append(el("div", { class: "meta model-cooldown", dataset: { model: m.model } }, m.model + " (" + m.reason + ") ",
        el("span", { class: "tick", dataset: { until: m.until } }, remaining(m.until))));
    }
    const t = a.today || {};
    card.append(el("div", { class: "kv" },
      el("span", {}, "strikes ", el("b", {}, String(a.strikes ?? 0))),
      el("span", {}, "today ", el("b", {}, fmt(t.input) + " in / " + fmt(t.output) + " out")),
      el("span", {}, "cached ", el("b", {}, fmt(t.cached)))));
    const q = quotaView(a.quota);
    if (q) card.append(q);
    return card;
  }));
  if (!snap.accounts.length) accounts.replaceChildren(el("p", { class: "empty" }, "No accounts."));

  const failovers = $("failovers");
  failovers.replaceChildren(...snap.failovers.map((f) => el("li", {},
    el("span", { class: "meta" }, new Date(f.at).toLocaleTimeString() + " "),
    el("b", {}, f.account), " " + f.reason + (f.status ? " (" + f.status + ")" : "") + (f.rule ? " · rule " + f.rule : "") + (f.key ? " · key " + f.key : ""))));
  if (!snap.failovers.length) failovers.replaceChildren(el("li", { class: "empty" }, "No failovers in the last 24 hours."));

  const keys = $("keys");
  keys.replaceChildren(...snap.keys.map((k) => {
    const t = k.today || {};
    const used = (t.input || 0) + (t.output || 0);
    const limit = k.dailyTokens ? el("div", {}, fmt(used) + " / " + fmt(k.dailyTokens),
      el("div", { class: "bar" }, el("i", { style: "width:" + Math.min(100, 100 * used / k.dailyTokens) + "%" }))) : "—";
    return el("tr", { dataset: { key: k.id } }, el("td", {}, k.id), el("td", { class: "hide-sm" }, k.group),
      el("td", { class: "n" }, fmt(t.requests)), el("td", { class: "n" }, fmt(t.input)),
      el("td", { class: "n" }, fmt(t.output)), el("td", { class: "n hide-sm" }, fmt(t.cached)), el("td", {}, limit));
  }));
}

setInterval(() => {
  for (const node of document.querySelectorAll("[data-until]")) node.textContent = remaining(node.dataset.until, node.dataset.kind);
}, 1000);

function setStatus(live, text) {
  $("status").replaceChildren(el("span", { class: "dot" + (live ? " live" : "") }), " " + text);
}

async function connect() {
  if (stream) stream.abort();
  const controller = new AbortController();
  stream = controller;
  let wait = 1000;
  while (!controller.signal.aborted) {
    try {
      const res = await fetch("/admin/events", { headers: { authorization: "Bearer " + token }, signal: controller.signal });
      if (res.status === 401) return signOut("That token was not accepted.");
      if (!res.ok || !res.body) throw new Error("HTTP " + res.status);
      setStatus(true, "live");
      wait = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\\n\\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = "message", data = "";
          for (const line of block.split("\\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (event === "snapshot" && data) render(JSON.parse(data));
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    setStatus(false, "reconnecting…");
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 15000);
  }
}

function signOut(message) {
  if (stream) stream.abort();
  stream = null;
  token = null;
  sessionStorage.removeItem("switchyard-token");
  $("app").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message || "";
  setStatus(false, "offline");
}

function start() {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("signout").hidden = false;
  connect();
}

$("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const candidate = $("token").value.trim();
  $("signin-error").textContent = "";
  const res = await fetch("/admin/dashboard", { headers: { authorization: "Bearer " + candidate } }).catch(() => null);
  if (!res || !res.ok) {
    $("signin-error").textContent = res && res.status === 401 ? "That token was not accepted." : "The gateway did not answer.";
    return;
  }
  token = candidate;
  sessionStorage.setItem("switchyard-token", token);
  $("token").value = "";
  render(await res.json());
  start();
});
$("signout").addEventListener("click", () => signOut());
if (token) start(); else signOut();
</script>
</body>
</html>
`;
