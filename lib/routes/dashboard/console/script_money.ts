/**
 * The console's money script (`markup_money.ts`): budget bars from
 * `GET /admin/budgets`, price overrides from `GET /admin/pricing`, and the
 * forms that change them. Loaded when the usage view opens, and after each
 * change.
 *
 * @module
 */

/** Script text, joined into the page after the other scripts (it uses their helpers). */
export const SCRIPT_MONEY = `
const usd = (n) => "$" + Number(n || 0).toFixed(n >= 100 ? 0 : n >= 1 ? 2 : 4);

async function loadMoney() {
  const [{ budgets }, pricing] = await Promise.all([api("GET", "/admin/budgets"), api("GET", "/admin/pricing")]);
  $("budget-bars").replaceChildren(...(budgets.length ? budgets.map((b) => {
    const share = b.spentUsd / b.usd;
    const level = share >= 1 ? " full" : b.alertAt !== undefined && share >= b.alertAt ? " high" : "";
    return el("div", { class: "budget", dataset: { budget: b.scope + ":" + b.id + ":" + b.per } },
      el("div", {}, el("b", { text: b.scope + " " + b.id }), " " + usd(b.spentUsd) + " of " + usd(b.usd) + " per " + b.per,
        el("span", { class: "meta", text: " · resets " + new Date(b.resetsAt).toLocaleString() })),
      el("div", { class: "meter" + level }, el("i", { style: "width:" + Math.min(100, 100 * share) + "%" })));
  }) : [el("p", { class: "meta", text: "No budgets. Set one below, on a key or a group." })]));
  const s = pricing.snapshot;
  $("price-source").textContent = "USD per 1M tokens. Built-in prices: " + s.source + " (" + s.date + ", " + s.models +
    " models). Overrides below win (from the " + pricing.source + ").";
  const rows = Object.entries(pricing.pricing);
  $("price-rows").replaceChildren(...(rows.length ? rows.map(([model, p]) => el("tr", { dataset: { price: model } },
    el("td", { text: model }), el("td", { class: "n", text: p.input }), el("td", { class: "n", text: p.output }),
    el("td", { class: "n", text: p.cachedInput ?? "—" }), el("td", { class: "n hide-sm", text: p.cacheWrite ?? "—" }),
    el("td", { class: "n hide-sm", text: p.cacheWrite1h ?? "—" }),
    el("td", {}, el("button", { type: "button", class: "danger small", text: "Remove", onclick: () => setPrices((all) => { delete all[model]; }) }))))
    : [el("tr", {}, el("td", { colspan: "7", class: "empty", text: "No overrides." }))]));
}

async function setPrices(change) {
  const current = await api("GET", "/admin/pricing");
  const pricing = { ...current.pricing };
  change(pricing);
  await api("PUT", "/admin/pricing", { pricing });
  await loadMoney();
}

$("price-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const ok = await submitWith(form, () => setPrices((all) => {
    const price = {};
    for (const name of ["input", "output", "cachedInput", "cacheWrite", "cacheWrite1h"]) {
      const value = numberOf(form, name);
      if (value !== null) price[name] = value;
    }
    all[form.elements.model.value.trim()] = price;
  }));
  if (ok) { form.reset(); toast("Price saved: later requests use it."); }
});

$("budget-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const ok = await submitWith(form, async () => {
    const kind = form.elements.scope.value;
    const path = "/admin/" + kind + "/" + encodeURIComponent(form.elements.target.value.trim());
    const current = await api("GET", path);
    const per = form.elements.per.value;
    const usdValue = numberOf(form, "usd");
    const alertAt = numberOf(form, "alertAt");
    const budgets = (current.budgets || []).filter((b) => b.per !== per);
    if (usdValue !== null) budgets.push({ usd: usdValue, per, ...(alertAt !== null ? { alertAt } : {}) });
    const { id: _id, source: _source, createdAt: _created, budgets: _old, ...rest } = current;
    const body = kind === "keys" ? { budgets: budgets.length ? budgets : null } : { ...rest, ...(budgets.length ? { budgets } : {}) };
    await api("PUT", path, body);
    await loadMoney();
  });
  if (ok) toast("Budget saved.");
});

$("tab-usage").addEventListener("click", () => loadMoney().catch(() => {}));
`;
