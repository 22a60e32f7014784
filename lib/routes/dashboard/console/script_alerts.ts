/**
 * The console script, alerts part: the webhooks of `GET /admin/alerts`
 * (URLs shown by origin, secrets never), adding and removing one (`PUT`
 * with the others by id, so their stored URL and secret stay), **Send
 * test**, and the last deliveries. Loaded when the Keys & groups tab opens.
 *
 * @module
 */

export const SCRIPT_ALERTS = String.raw`
let alertHooks = [];

async function loadAlerts() {
  let view;
  try { view = await api("GET", "/admin/alerts"); } catch (error) { return; }
  alertHooks = view.webhooks;
  const rows = view.webhooks.map((w) => el("tr", { dataset: { webhook: w.id } },
    el("td", {}, el("b", { text: w.id }), el("div", { class: "meta", text: w.url + (w.hasSecret ? " · signed" : "") })),
    el("td", { class: "meta", text: (w.events || ["every event"]).join(", ") }),
    el("td", { text: w.format }),
    el("td", {}, el("button", { type: "button", class: "danger small", onclick: () => removeWebhook(w.id), text: "Remove" }))));
  $("alert-hooks").replaceChildren(...(rows.length ? rows
    : [el("tr", {}, el("td", { colspan: "4", class: "empty", text: "No webhooks yet. Add one to hear about disabled accounts, spent quotas and exhausted groups." }))]));
  $("alert-deliveries").replaceChildren(...(view.deliveries.length ? view.deliveries.map((d) => el("li", {},
    el("span", { class: "meta", text: new Date(d.at).toLocaleTimeString() + " " }),
    el("b", { text: d.webhook }), " " + d.event + " · " + (d.ok ? "delivered" : "failed: " + d.error) +
      (d.status ? " (" + d.status + ")" : "") + (d.attempts > 1 ? " after " + d.attempts + " attempts" : "")))
    : [el("li", { class: "empty", text: "No deliveries yet." })]));
}

/** The stored webhooks by id: their URLs and secrets stay as they are. */
function keptHooks(except) {
  return alertHooks.filter((w) => w.id !== except).map((w) => Object.assign({ id: w.id, format: w.format }, w.events ? { events: w.events } : {}));
}

async function saveHooks(webhooks, form) {
  try {
    await api("PUT", "/admin/alerts", { webhooks });
    if (form) form.reset();
    await loadAlerts();
    return true;
  } catch (error) {
    if (error.status === 401) return false;
    if (form) form.querySelector(".form-error").textContent = error.message;
    else toast(error.message, true);
    return false;
  }
}

function removeWebhook(id) {
  saveHooks(keptHooks(id)).then((ok) => ok && toast("Removed webhook " + id + "."));
}

$("alert-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  form.querySelector(".form-error").textContent = "";
  const hook = { url: form.elements.url.value.trim(), format: form.elements.format.value };
  if (form.elements.secret.value) hook.secret = form.elements.secret.value;
  const events = form.elements.events.value.split(",").map((e) => e.trim()).filter(Boolean);
  if (events.length) hook.events = events;
  const taken = new Set(alertHooks.map((w) => w.id));
  let n = 1;
  while (taken.has("webhook-" + n)) n++;
  hook.id = "webhook-" + n;
  if (await saveHooks([...keptHooks(), hook], form)) toast("Added webhook " + hook.id + ".");
});

$("alert-test").addEventListener("click", async () => {
  try {
    const result = await api("POST", "/admin/alerts/test");
    const failed = result.deliveries.filter((d) => !d.ok);
    toast(failed.length ? failed.length + " of " + result.deliveries.length + " webhooks failed: " + failed[0].error : "Test sent to every webhook.", failed.length > 0);
  } catch (error) {
    if (error.status !== 401) toast(error.message, true);
  }
  loadAlerts();
});

$("tab-keys").addEventListener("click", () => loadAlerts());
`;
