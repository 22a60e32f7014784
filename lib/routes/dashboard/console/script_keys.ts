/**
 * The console script, part 4b (runs right after `script_forms.ts`): what the
 * buttons do to groups and keys, with a new key shown once beside
 * ready-to-paste setups for the Codex CLI, Claude Code, the OpenAI SDK and
 * curl.
 *
 * Browser code in a string: no template literals inside (the string is one).
 *
 * @module
 */

export const SCRIPT_KEYS = String.raw`
// ---- groups ----

$("add-group").addEventListener("click", () => editGroup(null));

function editGroup(g) {
  const form = $("group-form");
  form.reset();
  $("group-title").textContent = g ? "Edit group " + g.id : "New group";
  form.elements.id.value = g ? g.id : (snap && snap.groups && snap.groups.length ? "" : "team");
  form.elements.id.readOnly = Boolean(g);
  const accounts = snap ? snap.accounts : [];
  $("group-accounts").replaceChildren(...(accounts.length ? accounts.map((a) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "accounts", value: a.id, checked: g ? g.accounts.includes(a.id) : true }),
    a.id + " · " + kindOf(a))) : [el("p", { class: "meta", text: "No accounts yet: a group can start empty." })]));
  form.elements.avoidAbovePercent.value = g && g.avoidAbovePercent !== undefined ? g.avoidAbovePercent : "";
  form.elements.order.value = g && g.order === "resets-first" ? "resets-first" : "";
  form.elements.allowPaths.value = g && g.allowPaths ? g.allowPaths.join("\n") : "";
  form.onsubmit = async (event) => {
    event.preventDefault();
    const id = form.elements.id.value.trim();
    const ok = await submitWith(form, async () => {
      const path = "/admin/groups/" + encodeURIComponent(id);
      // PUT replaces the whole group: start from it as stored, so what the form does not show
      // (healthChecks, budgets, models, allowModels, translate) stays; "source" is not a field.
      const body = g ? await api("GET", path) : {};
      delete body.source;
      body.accounts = [...form.querySelectorAll("input[name=accounts]:checked")].map((box) => box.value);
      const avoid = numberOf(form, "avoidAbovePercent");
      if (avoid !== null) body.avoidAbovePercent = avoid; else delete body.avoidAbovePercent;
      if (form.elements.order.value) body.order = form.elements.order.value; else delete body.order;
      const paths = form.elements.allowPaths.value.split("\n").map((line) => line.trim()).filter(Boolean);
      if (paths.length) body.allowPaths = paths; else delete body.allowPaths;
      if (g) await api("PUT", path, body);
      else await api("POST", "/admin/groups", Object.assign({ id }, body));
    });
    if (ok) { $("dlg-group").close(); toast((g ? "Saved group " : "Created group ") + id + "."); }
  };
  openDialog($("dlg-group"));
}

function deleteGroup(g) {
  confirmAction("Delete group " + g.id + "?", "Its accounts stay. Keys that use the group must move to another group or be revoked first.",
    "Delete", () => api("DELETE", "/admin/groups/" + encodeURIComponent(g.id)));
}

// ---- keys ----

$("add-key").addEventListener("click", () => editKey(null));

function editKey(k) {
  const form = $("key-form");
  form.reset();
  $("key-title").textContent = k ? "Edit key " + k.id : "New key";
  form.elements.id.value = k ? k.id : "";
  form.elements.id.readOnly = Boolean(k);
  const groups = (snap && snap.groups) || [];
  form.elements.group.replaceChildren(...groups.map((g) => el("option", { value: g.id, text: g.id, selected: k ? k.group === g.id : false })));
  if (!groups.length) form.elements.group.replaceChildren(el("option", { value: "", text: "Create a group first" }));
  for (const name of ["rpm", "dailyTokens", "concurrency"]) form.elements[name].value = k && k[name] !== undefined ? k[name] : "";
  form.onsubmit = async (event) => {
    event.preventDefault();
    let created = null;
    const ok = await submitWith(form, async () => {
      const body = { group: form.elements.group.value };
      for (const name of ["rpm", "dailyTokens", "concurrency"]) {
        const value = numberOf(form, name);
        if (value !== null || k) body[name] = value;
      }
      if (k) await api("PUT", "/admin/keys/" + encodeURIComponent(k.id), body);
      else created = await api("POST", "/admin/keys", Object.assign({ id: form.elements.id.value.trim() }, body));
    });
    if (!ok) return;
    $("dlg-key").close();
    if (created) showCreatedKey(created); else toast("Saved key " + k.id + ".");
  };
  openDialog($("dlg-key"));
}

function revokeKey(k) {
  confirmAction("Revoke " + k.id + "?", "Every gateway refuses it from its next request. This cannot be undone; a new key is a new secret.",
    "Revoke", () => api("DELETE", "/admin/keys/" + encodeURIComponent(k.id)));
}

function snippets(key) {
  const origin = location.origin;
  return [
    ["Codex CLI", "# ~/.codex/config.toml (the built-in OpenAI provider; Responses over a WebSocket)\nopenai_base_url = \"" + origin + "/v1\"\n\n# then, in your shell:\nexport CODEX_API_KEY=" + key + "\ncodex\n\n# or a provider of its own:\n# model_provider = \"switchyard\"\n# [model_providers.switchyard]\n# name = \"Switchyard\"\n# base_url = \"" + origin + "/v1\"\n# env_key = \"CODEX_API_KEY\"\n# wire_api = \"responses\"\n# supports_websockets = true"],
    ["Claude Code", "export ANTHROPIC_BASE_URL=" + origin + "\nexport ANTHROPIC_AUTH_TOKEN=" + key + "\nclaude"],
    ["OpenAI SDK", "# Python\nfrom openai import OpenAI\nclient = OpenAI(base_url=\"" + origin + "/v1\", api_key=\"" + key + "\")\n\n// JavaScript / TypeScript\nimport OpenAI from \"openai\";\nconst client = new OpenAI({ baseURL: \"" + origin + "/v1\", apiKey: \"" + key + "\" });"],
    ["curl", "curl " + origin + "/v1/chat/completions \\\n  -H \"Authorization: Bearer " + key + "\" \\\n  -H \"content-type: application/json\" \\\n  -d '{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"],
  ];
}

function showCreatedKey(created) {
  $("created-title").textContent = "Key " + created.id + " created";
  $("created-key").value = created.key;
  const list = snippets(created.key);
  const choose = (index, focus) => {
    for (const [i, button] of [...$("snippet-tabs").children].entries()) {
      button.setAttribute("aria-selected", String(i === index));
      button.tabIndex = i === index ? 0 : -1;
      if (i === index && focus) button.focus();
    }
    $("snippet").textContent = list[index][1];
    $("snippet").dataset.client = list[index][0];
  };
  $("snippet-tabs").replaceChildren(...list.map(([name], index) => el("button", { type: "button", role: "tab", onclick: () => choose(index),
    onkeydown: (event) => {
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (step) choose((index + step + list.length) % list.length, true);
    }, text: name })));
  choose(0);
  $("copy-snippet").onclick = () => copyText($("snippet").textContent, $("copy-snippet"));
  openDialog($("dlg-created"));
  $("copy-key").focus();
}

if (!ADMIN_ON) showAdminOff(); else if (token) start(); else signOut();
`;
