/**
 * The console script, part 2: drawing a snapshot. Account cards (state,
 * countdowns, quota windows as bars with a live reset countdown, actions),
 * the summary tiles, recent failovers, groups, keys and today's usage. Focus
 * survives a redraw, so keyboard users are not thrown back to the top when a
 * live update arrives.
 *
 * @module
 */

export const SCRIPT_VIEWS = String.raw`
const STATE_LABEL = { active: "active", cooldown: "cooling", disabled: "disabled" };
const QUOTA_LABEL = {
  "codex-primary": "5-hour window", "codex-secondary": "Weekly window",
  "anthropic-5h": "5-hour window", "anthropic-7d": "Weekly window", "anthropic-7d_opus": "Weekly Opus window",
  "anthropic-7d_sonnet": "Weekly Sonnet window", "anthropic-unified": "Overall",
};

/** Why an account rests, in words: cooldown reasons are codes, disable reasons are sentences. */
const REASON = {
  quota: "Out of quota", forbidden: "Refused by the upstream (403)", rateLimited: "Rate limited",
  overloaded: "Upstream overloaded", serverError: "Upstream errors", unreachable: "Upstream unreachable",
  modelUnavailable: "Model unavailable", rule: "An error rule cooled it",
};
function reasonText(reason) { return REASON[reason] ? REASON[reason] + "." : sentence(String(reason)); }

function kindOf(a) {
  if (a.auth === "oauth") return a.platform === "openai" ? "Codex subscription" : "Claude subscription";
  return a.platform === "openai" ? "OpenAI API key" : "Anthropic API key";
}

function render(next) {
  snap = next;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focus : null;
  renderTiles(next);
  renderAccounts(next.accounts);
  renderCharts(next.series);
  renderFailovers(next.failovers);
  renderGroups(next.groups || [], next.accounts);
  renderKeys(next.keys);
  renderUsage(next.keys);
  if (focused) {
    const again = document.querySelector('[data-focus="' + CSS.escape(focused) + '"]');
    if (again) again.focus();
  }
}

function renderTiles(s) {
  const sum = (values) => (values || []).reduce((a, b) => a + b, 0);
  const series = s.series || {};
  const tokens = Object.values(series.tokens || {}).reduce((total, values) => total + sum(values), 0);
  const serving = s.accounts.filter((a) => a.state === "active" && !a.spent).length;
  const tile = (value, label, id) => el("div", { class: "tile", dataset: { tile: id } }, el("b", { text: value }), el("span", { text: label }));
  $("tiles").replaceChildren(
    tile(serving + " / " + s.accounts.length, "accounts serving", "serving"),
    tile(compact(sum(series.requests)), "requests, last hour", "requests"),
    tile(compact(sum(series.failovers)), "failovers, last hour", "failovers"),
    tile(compact(tokens), "tokens, last hour", "tokens"),
  );
}

function quotaBars(quota) {
  if (!quota || !Array.isArray(quota.windows) || quota.windows.length === 0) return null;
  const box = el("div", { class: "quota", "aria-label": "Quota" });
  for (const w of quota.windows) {
    const used = Number.isFinite(w.usedPercent) ? Math.max(0, Math.min(100, w.usedPercent)) : (w.exhausted ? 100 : null);
    const full = w.exhausted || used >= 100;
    const label = QUOTA_LABEL[w.name] || w.name;
    const meter = el("div", {
      class: "meter" + (full ? " full" : used >= 80 ? " high" : ""), role: "meter", "aria-label": label,
      "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": used === null ? undefined : String(Math.round(used)),
    }, el("i", { style: "width:" + (used === null ? 0 : used) + "%" }));
    const reset = w.resetAt && Date.parse(w.resetAt) > Date.now()
      ? el("span", { class: "tick", dataset: { until: w.resetAt, kind: "reset" }, text: remaining(w.resetAt, "reset") })
      : null;
    box.append(el("div", { dataset: { window: w.name, full: full ? "true" : "false" } },
      el("div", { class: "label" }, el("span", {}, label + " · ", el("b", { text: used === null ? "?" : Math.round(used) + "% used" })), reset),
      meter));
  }
  return box;
}

function returnsLine(a) {
  const windows = (a.quota && a.quota.windows) || [];
  const exhausted = windows.filter((w) => w.exhausted && w.resetAt && Date.parse(w.resetAt) > Date.now());
  if (a.state === "cooldown" && a.until) {
    return el("div", { class: "returns" }, "Returns at " + clock(a.until) + " · ",
      el("span", { class: "countdown", dataset: { until: a.until }, text: remaining(a.until) }));
  }
  if (exhausted.length) {
    const last = exhausted.map((w) => w.resetAt).sort().at(-1);
    return el("div", { class: "returns" }, "Quota used up; returns at " + clock(last));
  }
  return null;
}

/** "models: gpt-5 → gpt-5-codex, claude-*": the first few, then how many more. */
function modelsLine(models) {
  const entries = Array.isArray(models) ? models
    : Object.entries(models).map(([from, to]) => to === "*" ? from : from + " → " + to);
  const shown = entries.slice(0, 4).join(", ");
  return "models: " + shown + (entries.length > 4 ? " and " + (entries.length - 4) + " more" : "");
}

function renderAccounts(accounts) {
  const box = $("accounts");
  if (!accounts.length) {
    return box.replaceChildren(el("div", { class: "card empty" },
      el("p", { text: "No accounts yet. Add one: an API key, or sign a Codex or Claude subscription in." }),
      el("button", { type: "button", onclick: () => openDialog($("dlg-kind")), text: "Add account" })));
  }
  box.replaceChildren(...accounts.map((a) => {
    // A spent quota window is not "active": the account serves only when no other can.
    const label = a.spent ? "spent" : STATE_LABEL[a.state] || a.state;
    const key = (action) => "acct:" + a.id + ":" + action;
    const card = el("article", { class: "card state-" + label, dataset: { account: a.id, state: label }, "aria-label": "Account " + a.id },
      el("div", { class: "top" }, el("span", { class: "id", text: a.id }),
        el("span", { class: "badge state state-" + label, "data-testid": "state", text: label })),
      el("div", { class: "meta", text: [kindOf(a), "priority " + (a.priority ?? 100),
        a.concurrency ? "≤ " + a.concurrency + " at once" : null, a.passthrough ? "passthrough" : null,
        a.avoidAbovePercent !== undefined ? "avoid above " + a.avoidAbovePercent + "%" : null,
        a.source === "config" ? "from config" : null].filter(Boolean).join(" · ") }));
    if (a.proxy) card.append(el("div", { class: "meta proxy", "data-testid": "proxy", text: "via proxy " + a.proxy }));
    if (a.models) card.append(el("div", { class: "meta models", "data-testid": "models", text: modelsLine(a.models) }));
    const back = returnsLine(a);
    if (back) card.append(back);
    if (a.reason) card.append(el("div", { class: "meta reason", text: reasonText(a.reason) }));
    if (a.state === "disabled" && a.probeAt) {
      card.append(el("div", { class: "meta probe" }, "next probe " + new Date(a.probeAt).toLocaleTimeString() + " · ",
        el("span", { class: "tick", dataset: { until: a.probeAt, kind: "probe" }, text: remaining(a.probeAt, "probe") })));
    }
    for (const m of a.modelCooldowns || []) {
      card.append(el("div", { class: "meta model-cooldown", dataset: { model: m.model } }, m.model + " (" + m.reason + ") ",
        el("span", { class: "tick", dataset: { until: m.until }, text: remaining(m.until) })));
    }
    const bars = quotaBars(a.quota);
    if (bars) card.append(bars);
    if (a.lastTest) card.append(lastTestLine(a.lastTest));
    const t = a.today || {};
    card.append(el("div", { class: "kv" },
      el("span", {}, "today ", el("b", { text: compact(t.input) + " in / " + compact(t.output) + " out" })),
      el("span", {}, "requests ", el("b", { text: fmt(t.requests) })),
      el("span", {}, "strikes ", el("b", { text: String(a.strikes ?? 0) }))));
    const actions = el("div", { class: "actions" },
      el("button", { type: "button", class: "plain small", dataset: { focus: key("edit") }, onclick: () => editAccount(a), text: "Edit" }),
      el("button", { type: "button", class: "plain small", dataset: { focus: key("test") }, onclick: () => testAccounts([a.id]), text: "Test" }),
      a.auth === "oauth" ? el("button", { type: "button", class: "plain small", dataset: { focus: key("signin") }, onclick: () => startSubscription(a.platform, a), text: "Sign in again" }) : null,
      a.state === "disabled"
        ? el("button", { type: "button", class: "plain small", dataset: { focus: key("enable") }, onclick: () => accountAction(a.id, "enable"), text: "Enable" })
        : el("button", { type: "button", class: "plain small", dataset: { focus: key("disable") }, onclick: () => accountAction(a.id, "disable"), text: "Disable" }),
      a.state === "cooldown" || a.strikes > 0 || (a.modelCooldowns || []).length
        ? el("button", { type: "button", class: "plain small", dataset: { focus: key("reset") }, onclick: () => accountAction(a.id, "reset"), text: "Reset" })
        : null,
      el("button", { type: "button", class: "danger small", dataset: { focus: key("delete") }, onclick: () => deleteAccount(a), text: "Delete" }));
    card.append(actions);
    return card;
  }));
}

/** The account's last test (admin or scheduled): passed or failed, latency, when. */
function lastTestLine(t) {
  const when = new Date(t.at).toLocaleTimeString();
  const text = t.ok
    ? "Test passed · " + t.ms + " ms · " + t.model + " · " + when + (t.recovered ? " · back in service" : "")
    : "Test failed" + (t.status ? " (" + t.status + ")" : "") + ": " + t.error + " · " + when;
  return el("div", { class: "meta test " + (t.ok ? "test-ok" : "test-failed"), "data-testid": "last-test", text });
}

function renderFailovers(failovers) {
  const list = $("failovers");
  list.replaceChildren(...failovers.map((f) => el("li", {},
    el("span", { class: "meta", text: new Date(f.at).toLocaleTimeString() + " " }),
    el("b", { text: f.account }), " " + f.reason + (f.status ? " (" + f.status + ")" : "") + (f.rule ? " · rule " + f.rule : "") + (f.key ? " · key " + f.key : "") + (f.transport ? " · " + f.transport : ""))));
  if (!failovers.length) list.replaceChildren(el("li", { class: "empty", text: "No failovers in the last 24 hours." }));
}

function renderGroups(groups, accounts) {
  const body = $("groups");
  if (!groups.length) {
    return body.replaceChildren(el("tr", {}, el("td", { colspan: "4", class: "empty", text: accounts.length
      ? "No groups yet. A group lists the accounts its keys may use."
      : "No groups yet. Add an account first, then a group that lists it." })));
  }
  body.replaceChildren(...groups.map((g) => {
    const settings = [g.avoidAbovePercent !== undefined ? "avoid above " + g.avoidAbovePercent + "%" : null,
      g.order === "resets-first" ? "resets first" : null,
      (g.allowPaths || []).length ? "also " + g.allowPaths.join(", ") : null, g.source === "config" ? "from config" : null].filter(Boolean).join(" · ");
    const key = (action) => "group:" + g.id + ":" + action;
    return el("tr", { dataset: { group: g.id } },
      el("td", {}, el("b", { text: g.id })),
      el("td", { text: g.accounts.join(", ") || "—" }),
      el("td", { class: "hide-sm meta", text: settings || "—" }),
      el("td", {}, el("div", { class: "actions" },
        el("button", { type: "button", class: "plain small", dataset: { focus: key("edit") }, onclick: () => editGroup(g), text: "Edit" }),
        el("button", { type: "button", class: "danger small", dataset: { focus: key("delete") }, onclick: () => deleteGroup(g), text: "Delete" }))));
  }));
}

function limitsOf(k) {
  return [k.rpm ? k.rpm + " rpm" : null, k.dailyTokens ? compact(k.dailyTokens) + " tokens/day" : null,
    k.concurrency ? "≤ " + k.concurrency + " at once" : null].filter(Boolean).join(" · ") || "none";
}

function renderKeys(keys) {
  const body = $("key-rows");
  if (!keys.length) return body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "empty", text: "No keys yet. A key lets a person or a service use a group." })));
  body.replaceChildren(...keys.map((k) => {
    const key = (action) => "key:" + k.id + ":" + action;
    return el("tr", { dataset: { keyRow: k.id } },
      el("td", {}, el("b", { text: k.id })), el("td", { text: k.group }), el("td", { class: "meta", text: limitsOf(k) }),
      el("td", { class: "hide-sm meta", text: k.source }),
      el("td", {}, el("div", { class: "actions" },
        el("button", { type: "button", class: "plain small", dataset: { focus: key("edit") }, onclick: () => editKey(k), text: "Edit" }),
        el("button", { type: "button", class: "danger small", dataset: { focus: key("revoke") }, onclick: () => revokeKey(k), text: "Revoke" }))));
  }));
}

function renderUsage(keys) {
  const body = $("keys");
  body.replaceChildren(...keys.map((k) => {
    const t = k.today || {};
    const used = (t.input || 0) + (t.output || 0);
    const limit = k.dailyTokens ? el("div", {}, fmt(used) + " / " + fmt(k.dailyTokens),
      el("div", { class: "meter" + (used >= k.dailyTokens ? " full" : "") }, el("i", { style: "width:" + Math.min(100, 100 * used / k.dailyTokens) + "%" }))) : "—";
    return el("tr", { dataset: { key: k.id } }, el("td", { text: k.id }), el("td", { class: "hide-sm", text: k.group }),
      el("td", { class: "n", text: fmt(t.requests) }), el("td", { class: "n", text: fmt(t.input) }),
      el("td", { class: "n", text: fmt(t.output) }), el("td", { class: "n hide-sm", text: fmt(t.cached) }),
      el("td", { class: "n", text: "$" + ((t.cost || 0) / 1e6).toFixed(4) }), el("td", {}, limit));
  }));
  if (!keys.length) body.replaceChildren(el("tr", {}, el("td", { colspan: "8", class: "empty", text: "No keys yet." })));
}

async function runReport() {
  const form = $("report-form");
  const today = new Date().toISOString().slice(0, 10);
  if (!form.elements.from.value) form.elements.from.value = today;
  if (!form.elements.to.value) form.elements.to.value = today;
  await submitWith(form, async () => {
    const by = form.elements.by.value;
    const query = new URLSearchParams({ from: form.elements.from.value, to: form.elements.to.value, by });
    const report = await api("GET", "/admin/usage?" + query);
    $("report-head").replaceChildren(el("tr", {}, el("th", { text: by }), el("th", { class: "n", text: "Requests" }),
      el("th", { class: "n", text: "Input" }), el("th", { class: "n", text: "Output" }), el("th", { class: "n", text: "Cached" }),
      el("th", { class: "n", text: "Cost (USD)" })));
    // Subscription accounts pay a flat fee: their cost is what the same tokens cost on the API.
    const cost = (r) => "$" + Number(r.costUsd || 0).toFixed(4) + (r.subscription ? " API-equivalent" : "") + (r.unpriced ? " (no price)" : "");
    const row = (name, r, strong) => el("tr", {}, el("td", {}, strong ? el("b", { text: name }) : name),
      el("td", { class: "n", text: fmt(r.requests) }), el("td", { class: "n", text: fmt(r.input) }),
      el("td", { class: "n", text: fmt(r.output) }), el("td", { class: "n", text: fmt(r.cached) }),
      el("td", { class: "n" + (r.unpriced ? " warn" : ""), text: cost(r) }));
    $("report").replaceChildren(...report.rows.map((r) => row(r[by], r)), row("total", report.totals, true));
  });
}
$("report-form").addEventListener("submit", (event) => { event.preventDefault(); runReport(); });
`;
