/**
 * The console script, part 1b (runs right after `script_core.ts`): dialogs
 * and copying, the ticking countdowns, the live event stream with sign-in
 * and sign-out (a stale or revoked token signs the user out), and switching
 * between the sections.
 *
 * Browser code in a string: no template literals inside (the string is one).
 *
 * @module
 */

export const SCRIPT_SESSION = String.raw`
// ---- dialogs and copying ----

function openDialog(dialog) {
  for (const form of dialog.querySelectorAll("form")) clearErrors(form);
  if (!dialog.open) dialog.showModal();
  const first = dialog.querySelector("input:not([type=hidden]):not([readonly]):not([disabled]), select, textarea");
  if (first && !first.closest("[hidden]") && !first.closest("details:not([open])")) first.focus();
}

document.addEventListener("click", (event) => {
  const close = event.target.closest("[data-close]");
  if (close) close.closest("dialog").close();
  const copy = event.target.closest("[data-copy]");
  if (copy) copyText($(copy.dataset.copy).value || $(copy.dataset.copy).textContent, copy);
});

async function copyText(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch (error) {
    // No clipboard API (a plain-http address that is not localhost): select and copy.
    const area = el("textarea", { class: "sr" });
    area.value = text;
    document.body.append(area);
    area.select();
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
  }
  if (button) {
    const label = button.textContent;
    button.textContent = ok ? "Copied" : "Select and copy by hand";
    setTimeout(() => { button.textContent = label; }, 1800);
  }
  return ok;
}

async function confirmAction(title, text, label, action) {
  const dialog = $("dlg-confirm");
  const form = dialog.querySelector("form");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = label;
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (await submitWith(form, action)) dialog.close();
  };
  openDialog(dialog);
  $("confirm-ok").focus();
}

// ---- countdowns ----

setInterval(() => {
  for (const node of document.querySelectorAll("[data-until]")) node.textContent = remaining(node.dataset.until, node.dataset.kind);
}, 1000);

// ---- live stream, sign-in ----

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
      if (res.status === 401) return signOut("Your admin token is no longer accepted (it was reset, or the gateway uses another one). Sign in with the current token.");
      if (res.status === 404) return showAdminOff();
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
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = "message", data = "";
          for (const line of block.split("\n")) {
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

function showAdminOff() {
  if (stream) stream.abort();
  for (const id of ["signin", "app", "nav", "signout"]) $(id).hidden = true;
  $("admin-off").hidden = false;
  setStatus(false, "admin API off");
}

function signOut(message) {
  if (stream) stream.abort();
  stream = null;
  token = null;
  snap = null;
  sessionStorage.removeItem("switchyard-token");
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  $("app").hidden = true;
  $("nav").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message || "";
  setStatus(false, "signed out");
  $("token").focus();
}

function start() {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("nav").hidden = false;
  $("signout").hidden = false;
  connect();
}

$("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const candidate = $("token").value.trim();
  $("signin-error").textContent = "";
  if (!candidate) {
    $("signin-error").textContent = "Enter the admin token.";
    return $("token").focus();
  }
  const res = await fetch("/admin/dashboard", { headers: { authorization: "Bearer " + candidate } }).catch(() => null);
  if (!res) return $("signin-error").textContent = "The gateway did not answer. Check that it is running.";
  if (res.status === 404) return showAdminOff();
  if (!res.ok) {
    $("signin-error").textContent = res.status === 401 ? "That token was not accepted." : "The gateway answered " + res.status + ".";
    return $("token").select();
  }
  token = candidate;
  sessionStorage.setItem("switchyard-token", token);
  $("token").value = "";
  render(await res.json());
  start();
});
$("signout").addEventListener("click", () => signOut());

// ---- sections ----

const TABS = ["pool", "keys", "usage"];
function showView(name, focus) {
  for (const tab of TABS) {
    const selected = tab === name;
    const button = $("tab-" + tab);
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $("view-" + tab).hidden = !selected;
    if (selected && focus) button.focus();
  }
  if (name === "usage" && !$("report").childElementCount) runReport();
}
for (const tab of TABS) $("tab-" + tab).addEventListener("click", () => showView(tab));
$("nav").addEventListener("keydown", (event) => {
  const index = TABS.findIndex((tab) => $("tab-" + tab).getAttribute("aria-selected") === "true");
  const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
  if (step) showView(TABS[(index + step + TABS.length) % TABS.length], true);
});
`;
