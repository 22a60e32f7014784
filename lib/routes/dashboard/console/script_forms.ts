/**
 * The console script, part 4: what the buttons do to accounts. Adding
 * accounts of each kind (an API key, or a Codex or Claude subscription signed
 * in with the provider's own page, or from an uploaded credentials file),
 * editing them, disabling, enabling, resetting and deleting. Groups and keys
 * follow in `script_keys.ts`.
 *
 * @module
 */

export const SCRIPT_FORMS = String.raw`
const KINDS = {
  "openai-key": { platform: "openai", title: "Add an OpenAI API key", base: "https://api.openai.com/v1", id: "openai-" },
  "anthropic-key": { platform: "anthropic", title: "Add an Anthropic API key", base: "https://api.anthropic.com/v1", id: "anthropic-" },
};
const SUBSCRIPTIONS = {
  openai: { name: "Codex", file: "auth.json", id: "codex-",
    intro: "Signs a ChatGPT Plus or Pro account in with the Codex CLI's own sign-in page.",
    steps: ["Open the sign-in page (here, or copy the address to any browser) and sign in to ChatGPT.",
      "The browser then goes to an address starting with http://127.0.0.1:1455/auth/callback?code=, a page that may not load. That is expected.",
      "Copy that whole address from the address bar and paste it below."],
    upload: "Or upload a Codex auth.json (from ~/.codex after codex login)" },
  anthropic: { name: "Claude", file: ".credentials.json", id: "claude-",
    intro: "Signs a Claude Pro or Max account in with Claude Code's own sign-in page.",
    steps: ["Open the sign-in page (here, or copy the address to any browser) and sign in to Claude.",
      "Claude then shows a code. Copy it.", "Paste the code below."],
    upload: "Or upload a Claude Code .credentials.json (from ~/.claude after signing in)" },
};

function nextId(prefix) {
  const taken = new Set((snap ? snap.accounts : []).map((a) => a.id));
  for (let i = 1; ; i++) if (!taken.has(prefix + i)) return prefix + i;
}

// ---- accounts ----

$("add-account").addEventListener("click", () => openDialog($("dlg-kind")));
$("test-all").addEventListener("click", () => testAccounts([...document.querySelectorAll("#accounts [data-account]")].map((card) => card.dataset.account)));
for (const button of $("dlg-kind").querySelectorAll("[data-kind]")) {
  button.addEventListener("click", () => {
    $("dlg-kind").close();
    const kind = button.dataset.kind;
    if (KINDS[kind]) addAccount(kind); else startSubscription(kind === "codex" ? "openai" : "anthropic");
  });
}

function accountForm(title, kindText) {
  const form = $("account-form");
  form.reset();
  $("account-title").textContent = title;
  $("account-kind").textContent = kindText;
  form.elements.proxy.placeholder = "none: direct";
  form.querySelector("[data-field=proxyClear]").hidden = true;
  return form;
}

function addAccount(kind) {
  const spec = KINDS[kind];
  const form = accountForm(spec.title, "Requests use this key; it is stored encrypted and never shown again.");
  form.elements.id.readOnly = false;
  form.elements.id.value = nextId(spec.id);
  form.elements.baseUrl.value = spec.base;
  form.elements.apiKey.required = true;
  form.elements.apiKey.placeholder = "";
  fieldOf(form, "apiKey").hidden = false;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const ok = await submitWith(form, async () => {
      const body = { id: form.elements.id.value.trim(), platform: spec.platform, baseUrl: form.elements.baseUrl.value.trim(),
        apiKey: form.elements.apiKey.value, passthrough: form.elements.passthrough.checked };
      const priority = numberOf(form, "priority"), concurrency = numberOf(form, "concurrency");
      if (priority !== null) body.priority = priority;
      if (concurrency !== null) body.concurrency = concurrency;
      const models = modelsOf(form);
      if (models !== null) body.models = models;
      const proxy = form.elements.proxy.value.trim();
      if (proxy) body.proxy = proxy;
      const avoid = numberOf(form, "avoidAbovePercent");
      if (avoid !== null) body.avoidAbovePercent = avoid;
      await api("POST", "/admin/accounts", body);
    });
    if (ok) { $("dlg-account").close(); toast("Account " + form.elements.id.value + " added. List it in a group to use it."); }
  };
  openDialog($("dlg-account"));
}

function editAccount(a) {
  const form = accountForm("Edit " + a.id, kindOf(a) + (a.source === "config" ? " · from the config file: saving stores a copy that wins over it" : ""));
  form.elements.id.value = a.id;
  form.elements.id.readOnly = true;
  form.elements.baseUrl.value = a.baseUrl || "";
  form.elements.priority.value = a.priority ?? "";
  form.elements.concurrency.value = a.concurrency ?? "";
  form.elements.passthrough.checked = Boolean(a.passthrough);
  form.elements.models.value = modelsText(a.models);
  form.elements.avoidAbovePercent.value = a.avoidAbovePercent ?? "";
  const apiKey = form.elements.apiKey;
  apiKey.required = false;
  apiKey.placeholder = "unchanged (write-only)";
  fieldOf(form, "apiKey").hidden = a.auth === "oauth";
  // The proxy is write-only: the card shows it masked, the field stays empty unless it changes.
  form.elements.proxy.placeholder = a.proxy ? "unchanged: " + a.proxy : "none: direct";
  form.querySelector("[data-field=proxyClear]").hidden = !a.proxy;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const ok = await submitWith(form, async () => {
      const body = { baseUrl: form.elements.baseUrl.value.trim(), priority: numberOf(form, "priority"),
        concurrency: numberOf(form, "concurrency"), models: modelsOf(form), passthrough: form.elements.passthrough.checked,
        avoidAbovePercent: numberOf(form, "avoidAbovePercent") };
      if (a.auth !== "oauth" && apiKey.value) body.apiKey = apiKey.value;
      const proxy = form.elements.proxy.value.trim();
      if (proxy) body.proxy = proxy;
      else if (form.elements.proxyClear.checked) body.proxy = null;
      await api("PUT", "/admin/accounts/" + encodeURIComponent(a.id), body);
    });
    if (ok) { $("dlg-account").close(); toast("Saved " + a.id + "."); }
  };
  openDialog($("dlg-account"));
}

/** An account's models as the form shows them: one per line, "client = upstream" for a mapping. */
function modelsText(models) {
  if (!models) return "";
  if (Array.isArray(models)) return models.join("\n");
  return Object.entries(models).map(([from, to]) => to === "*" ? from : from + " = " + to).join("\n");
}

/**
 * The Models field read back: null when empty (any model), a list of names,
 * or a mapping when any line has "=" (a bare name in it maps to itself, "*").
 * Obvious mistakes are refused here, next to the field, before anything is sent.
 */
function modelsOf(form) {
  const lines = form.elements.models.value.split("\n").map((line) => line.trim()).filter(Boolean);
  if (!lines.length) return null;
  const pairs = [];
  for (const line of lines) {
    const sides = line.split("=").map((side) => side.trim());
    const problem = sides.length > 2 ? "has more than one \"=\""
      : sides.some((side) => side === "") ? "needs a name on both sides of \"=\""
      : sides.some((side) => /\s/.test(side)) ? "has a space inside a name"
      : pairs.some(([from]) => from === sides[0]) ? "repeats " + sides[0]
      : null;
    if (problem) throw new ApiError(400, "The line \"" + line + "\" " + problem + ".", "models");
    pairs.push([sides[0], sides[1] ?? "*"]);
  }
  return lines.some((line) => line.includes("=")) ? Object.fromEntries(pairs) : pairs.map(([from]) => from);
}

async function accountAction(id, action) {
  try {
    await api("POST", "/admin/accounts/" + encodeURIComponent(id) + "/" + action);
    toast({ enable: "Enabled ", disable: "Disabled ", reset: "Reset " }[action] + id + ".");
  } catch (error) {
    if (error.status !== 401) toast(error.message, true);
  }
}

/** Tests accounts one after another; each card shows its result once the live update lands. */
async function testAccounts(ids) {
  let failed = 0;
  for (const id of ids) {
    try {
      const result = await api("POST", "/admin/accounts/" + encodeURIComponent(id) + "/test");
      if (!result.ok) failed++;
      if (ids.length === 1) toast(result.ok ? "Test of " + id + " passed in " + result.ms + " ms." : "Test of " + id + " failed: " + result.error, !result.ok);
    } catch (error) {
      if (error.status === 401) return;
      failed++;
      toast(error.message, true);
    }
  }
  if (ids.length > 1) toast(failed ? failed + " of " + ids.length + " tests failed." : "All " + ids.length + " tests passed.", failed > 0);
}

function deleteAccount(a) {
  confirmAction("Delete " + a.id + "?", "Requests stop using it at once. Its tokens or key stay in KV until overwritten. A group that lists it must drop it first.",
    "Delete", () => api("DELETE", "/admin/accounts/" + encodeURIComponent(a.id)));
}

// ---- subscriptions ----

let flow = null;

function startSubscription(platform, existing) {
  const spec = SUBSCRIPTIONS[platform];
  const form = $("sub-form");
  const finish = $("finish-form");
  form.reset();
  form.hidden = false;
  finish.hidden = true;
  $("sub-title").textContent = existing ? "Sign " + existing.id + " in again" : "Add a " + spec.name + " subscription";
  $("sub-intro").textContent = spec.intro;
  $("upload-summary").textContent = spec.upload;
  form.elements.id.value = existing ? existing.id : nextId(spec.id);
  form.elements.id.readOnly = Boolean(existing);
  for (const name of ["priority", "concurrency"]) fieldOf(form, name).closest(".row2").hidden = Boolean(existing);
  form.elements.passthrough.closest("label").hidden = Boolean(existing);
  const settings = () => {
    const body = { platform, id: form.elements.id.value.trim() };
    if (!existing) {
      const priority = numberOf(form, "priority"), concurrency = numberOf(form, "concurrency");
      if (priority !== null) body.priority = priority;
      if (concurrency !== null) body.concurrency = concurrency;
      if (form.elements.passthrough.checked) body.passthrough = true;
      if (form.elements.baseUrl.value.trim()) body.baseUrl = form.elements.baseUrl.value.trim();
    }
    return body;
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    await submitWith(form, async () => {
      const body = settings();
      for (const name of ["authorizeUrl", "tokenUrl", "clientId"]) {
        const value = form.elements[name].value.trim();
        if (value) body[name] = value;
      }
      flow = await api("POST", "/admin/oauth/start", body);
      showFinish(spec, existing);
    });
  };
  $("upload-button").onclick = async () => {
    await submitWith(form, async () => {
      const file = form.elements.file.files[0];
      if (!file) throw new ApiError(400, "Choose the " + spec.file + " file first.", "file");
      const body = settings();
      body.file = await file.text();
      const row = await api("POST", "/admin/oauth/import", body);
      $("dlg-sub").close();
      toast((row.created ? "Added " : "Signed in again: ") + row.id + (row.created ? ". List it in a group to use it." : "."));
    });
  };
  openDialog($("dlg-sub"));
}

function showFinish(spec, existing) {
  const form = $("finish-form");
  $("sub-form").hidden = true;
  form.hidden = false;
  form.reset();
  clearErrors(form);
  $("authorize-url").value = flow.authorizeUrl;
  $("authorize-link").href = flow.authorizeUrl;
  $("finish-steps").replaceChildren(...spec.steps.map((step) => el("li", { text: step })));
  form.elements.input.placeholder = flow.platform === "openai" ? "http://127.0.0.1:1455/auth/callback?code=…&state=…" : "the code Claude showed";
  form.onsubmit = async (event) => {
    event.preventDefault();
    const ok = await submitWith(form, async () => {
      const row = await api("POST", "/admin/oauth/finish", { flow: flow.flow, input: form.elements.input.value });
      toast((row.created ? "Added " : "Signed in again: ") + row.id + (row.created ? ". List it in a group to use it." : "."));
    });
    if (ok) $("dlg-sub").close();
  };
  $("authorize-link").focus();
}
`;
