/**
 * The console's HTML: the header with its sections, the sign-in form, the
 * three views (the pool, keys and groups, usage) and the dialogs. It holds no
 * data; the script fills it from the admin API.
 *
 * @module
 */

import { moneySection } from "./markup_money.ts";

/** Forms share this shape: a label, the control, a hint, and the API's message for it. */
function field(
  name: string,
  label: string,
  control: string,
  hint = "",
): string {
  return `<div class="field" data-field="${name}"><label for="f-${name}-%">${label}</label>${
    control.replace("<input", `<input id="f-${name}-%" name="${name}"`)
      .replace("<select", `<select id="f-${name}-%" name="${name}"`)
      .replace("<textarea", `<textarea id="f-${name}-%" name="${name}"`)
  }${
    hint ? `<span class="hint">${hint}</span>` : ""
  }<p class="field-error" data-error-for="${name}" role="alert"></p></div>`;
}

/** A form's end: where a message without a field goes, Cancel, and the submit button. */
function footer(submit: string): string {
  return `<p class="form-error" role="alert"></p>
  <div class="buttons"><button type="button" class="plain" data-close>Cancel</button><button type="submit">${submit}</button></div>`;
}

/** Gives a form's ids a unique suffix, so two forms may share field names. */
function form(suffix: string, html: string): string {
  return html.replaceAll("-%", `-${suffix}`);
}

const ID_HINT = "1-64 letters, digits, '.', '_' or '-'";
const ID_INPUT =
  `<input required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" maxlength="64" autocomplete="off">`;

/** An account's order and limit, in the account form and the sign-in form alike. */
const PRIORITY_AND_CONCURRENCY = `<div class="row2">
  ${
  field(
    "priority",
    "Priority",
    `<input type="number" step="any" min="-1000000000" max="1000000000" placeholder="100">`,
    "Lower is tried first.",
  )
}
  ${
  field(
    "concurrency",
    "Concurrency",
    `<input type="number" min="1" step="1" placeholder="no limit">`,
    "Most requests in flight.",
  )
}
</div>`;

const ACCOUNT_FORM = form(
  "acct",
  `<form id="account-form" novalidate>
  <h3 id="account-title">Add account</h3>
  <p class="meta" id="account-kind"></p>
  ${field("id", "Account id", ID_INPUT, ID_HINT)}
  ${
    field(
      "baseUrl",
      "Base URL",
      `<input type="url" required autocomplete="off">`,
      "Where the API lives, e.g. https://api.openai.com/v1",
    )
  }
  ${
    field(
      "apiKey",
      "API key",
      `<input type="password" required autocomplete="new-password" spellcheck="false">`,
      "Write-only: it is stored encrypted and never shown again.",
    )
  }
  ${PRIORITY_AND_CONCURRENCY}
  ${
    field(
      "proxy",
      "Egress proxy",
      `<input type="text" autocomplete="off" spellcheck="false" placeholder="none: direct">`,
      "http://user:pass@host:port, https://… or socks5://…: its requests and token refreshes leave through it. Write-only.",
    )
  }
  ${
    field(
      "avoidAbovePercent",
      "Avoid above this quota use (%)",
      `<input type="number" min="0" max="100" step="any" placeholder="the group's">`,
      "While a quota window is above it, other accounts go first.",
    )
  }
  <label class="check" data-field="proxyClear" hidden><input type="checkbox" name="proxyClear"> Remove the proxy</label>
  ${
    field(
      "models",
      "Models",
      `<textarea placeholder="any model of its platform" spellcheck="false" autocomplete="off"></textarea>`,
      "One per line: a name served as is, or client-name = upstream-name; * matches any run of characters. Empty: any model.",
    )
  }
  <label class="check"><input type="checkbox" name="passthrough"> Passthrough (forward bodies byte for byte)</label>
  ${footer("Save")}
</form>`,
);

const SIGN_IN_FORM = form(
  "sub",
  `<form id="sub-form" novalidate>
  <h3 id="sub-title">Add a subscription account</h3>
  <p class="meta" id="sub-intro"></p>
  ${field("id", "Account id", ID_INPUT, ID_HINT)}
  ${PRIORITY_AND_CONCURRENCY}
  <label class="check"><input type="checkbox" name="passthrough"> Passthrough (forward bodies byte for byte)</label>
  <details><summary>Advanced: where it signs in and serves</summary>
    ${
    field(
      "baseUrl",
      "Base URL",
      `<input type="url" autocomplete="off">`,
      "Default: the provider's own.",
    )
  }
    ${field("authorizeUrl", "Authorization URL", `<input type="url" autocomplete="off">`)}
    ${field("tokenUrl", "Token URL", `<input type="url" autocomplete="off">`)}
    ${field("clientId", "Client id", `<input autocomplete="off">`)}
  </details>
  ${footer("Start sign-in")}
  <details id="upload"><summary id="upload-summary">Or upload a credentials file</summary>
    ${field("file", "File", `<input type="file" accept=".json,application/json">`)}
    <div class="buttons"><button type="button" class="plain" id="upload-button">Upload</button></div>
  </details>
</form>
<form id="finish-form" novalidate hidden>
  <h3>Sign in</h3>
  <ol class="meta" id="finish-steps"></ol>
  <div class="secret"><input id="authorize-url" readonly aria-label="Sign-in address"><button type="button" class="plain small" data-copy="authorize-url">Copy</button></div>
  <p><a id="authorize-link" target="_blank" rel="noopener noreferrer">Open the sign-in page</a></p>
  ${
    field(
      "input",
      "What you got after signing in",
      `<textarea required spellcheck="false" autocomplete="off"></textarea>`,
    )
  }
  ${footer("Finish")}
</form>`,
);

const GROUP_FORM = form(
  "grp",
  `<form id="group-form" novalidate>
  <h3 id="group-title">New group</h3>
  ${field("id", "Group id", ID_INPUT, ID_HINT)}
  <fieldset class="field" data-field="accounts"><legend class="meta">Accounts</legend><div id="group-accounts"></div>
    <p class="field-error" data-error-for="accounts" role="alert"></p></fieldset>
  ${
    field(
      "avoidAbovePercent",
      "Avoid accounts above this quota use (%)",
      `<input type="number" min="0" max="100" step="any" placeholder="off">`,
    )
  }
  ${
    field(
      "order",
      "Among accounts of equal priority",
      `<select><option value="">least recently used first</option><option value="resets-first">soonest quota reset first</option></select>`,
      "Soonest reset first uses a window before it resets.",
    )
  }
  ${
    field(
      "allowPaths",
      "More paths its keys may reach",
      `<textarea placeholder="/v1/files/*" spellcheck="false"></textarea>`,
      "One per line; besides the inference endpoints.",
    )
  }
  ${footer("Save")}
</form>`,
);

const KEY_FORM = form(
  "key",
  `<form id="key-form" novalidate>
  <h3 id="key-title">New key</h3>
  ${field("id", "Key id", ID_INPUT, "Who or what uses it, e.g. alice or ci-bot.")}
  ${field("group", "Group", `<select required></select>`)}
  <div class="row2">
    ${
    field(
      "rpm",
      "Requests per minute",
      `<input type="number" min="1" max="1000000" step="1" placeholder="no limit">`,
    )
  }
    ${
    field(
      "dailyTokens",
      "Tokens per day",
      `<input type="number" min="1" step="1" placeholder="no limit">`,
    )
  }
  </div>
  ${
    field(
      "concurrency",
      "Concurrency",
      `<input type="number" min="1" max="100000" step="1" placeholder="no limit">`,
    )
  }
  ${footer("Save")}
</form>`,
);

/** The page body after `<body>`. */
export const CONSOLE_BODY = `
<header>
  <h1>Switchyard</h1>
  <nav id="nav" role="tablist" aria-label="Sections" hidden>
    <button type="button" role="tab" id="tab-pool" aria-controls="view-pool" aria-selected="true">Pool</button>
    <button type="button" role="tab" id="tab-keys" aria-controls="view-keys" aria-selected="false" tabindex="-1">Keys &amp; groups</button>
    <button type="button" role="tab" id="tab-usage" aria-controls="view-usage" aria-selected="false" tabindex="-1">Usage</button>
  </nav>
  <span id="status" class="meta" aria-live="polite"><span class="dot"></span> offline</span>
  <button id="signout" type="button" class="plain small" hidden>Sign out</button>
</header>
<div id="admin-off" class="notice" hidden>
  <h2>The admin API is off</h2>
  <p>This gateway was started with <code>SWITCHYARD_ADMIN=off</code>, so there is no admin sign-in and the console cannot work.
  Restart it without that setting (it then uses <code>SWITCHYARD_ADMIN_TOKEN</code>, or the token it printed on its first start).</p>
</div>
<form id="signin" class="signin" hidden novalidate>
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required spellcheck="false">
  <p class="meta">The gateway printed it on its first start. Lost it? <code>deno task admin reset-token</code> makes a new one.</p>
  <p id="signin-error" class="form-error" role="alert"></p>
  <button type="submit">Sign in</button>
</form>
<main id="app" hidden>
  <section id="view-pool" role="tabpanel" aria-labelledby="tab-pool">
    <div class="tiles" id="tiles"></div>
    <div class="bar-row"><h2>Accounts</h2><span><button type="button" class="plain" id="test-all">Test all</button> <button type="button" id="add-account">Add account</button></span></div>
    <div id="accounts" class="grid"></div>
    <h2>Last hour</h2>
    <div class="charts">
      <figure class="chart" id="chart-requests"><h3>Requests and failovers per minute</h3><div class="plot"></div><div class="legend"></div></figure>
      <figure class="chart" id="chart-tokens"><h3><span id="chart-tokens-title">Tokens per minute by account</span> <span class="unit-toggle" role="group" aria-label="Show the chart in"><button type="button" class="small" data-unit="tokens" aria-pressed="true">Tokens</button><button type="button" class="small" data-unit="usd" aria-pressed="false">Dollars</button></span></h3><div class="plot"></div><div class="legend"></div></figure>
      <figure class="chart" id="chart-ttfb"><h3>Time to first byte</h3><div class="plot"></div><div class="legend"></div></figure>
    </div>
    <h2>Recent failovers</h2>
    <ul id="failovers" class="events"></ul>
  </section>
  <section id="view-keys" role="tabpanel" aria-labelledby="tab-keys" hidden>
    <div class="bar-row"><h2>Groups</h2><button type="button" id="add-group">New group</button></div>
    <div class="scroll"><table><thead><tr><th>Group</th><th>Accounts</th><th class="hide-sm">Settings</th><th></th></tr></thead>
      <tbody id="groups"></tbody></table></div>
    <div class="bar-row"><h2>Client keys</h2><button type="button" id="add-key">New key</button></div>
    <div class="scroll"><table><thead><tr><th>Key</th><th>Group</th><th>Limits</th><th class="hide-sm">Source</th><th></th></tr></thead>
      <tbody id="key-rows"></tbody></table></div>
    <div class="bar-row"><h2>Alerts</h2><button type="button" class="plain" id="alert-test">Send test</button></div>
    <div class="scroll"><table><thead><tr><th>Webhook</th><th>Events</th><th>Format</th><th></th></tr></thead>
      <tbody id="alert-hooks"></tbody></table></div>
    <form id="alert-form" class="row2" novalidate>
      ${
  field("url", "Webhook URL", `<input type="url" required spellcheck="false">`).replaceAll(
    "-%",
    "-hook",
  )
}
      ${
  field("secret", "Signing secret (optional)", `<input type="password" autocomplete="off">`)
    .replaceAll("-%", "-hook")
}
      ${
  field(
    "events",
    "Events (comma-separated; all when empty)",
    `<input type="text" spellcheck="false">`,
  ).replaceAll("-%", "-hook")
}
      ${
  field(
    "format",
    "Format",
    `<select><option value="json">json</option><option value="slack">slack</option></select>`,
  ).replaceAll("-%", "-hook")
}
      <div class="field"><label>&nbsp;</label><button type="submit">Add webhook</button></div>
      <p class="form-error" role="alert"></p>
    </form>
    <h3>Last deliveries</h3>
    <ul id="alert-deliveries" class="events"></ul>
  </section>
  <section id="view-usage" role="tabpanel" aria-labelledby="tab-usage" hidden>
    <h2>Today by key (UTC)</h2>
    <div class="scroll"><table>
      <thead><tr><th>Key</th><th class="hide-sm">Group</th><th class="n">Requests</th>
        <th class="n">Input</th><th class="n">Output</th><th class="n hide-sm">Cached</th><th class="n">Cost</th><th>Daily limit</th></tr></thead>
      <tbody id="keys"></tbody></table></div>
    <h2>Report</h2>
    <form id="report-form" class="row2" novalidate>
      ${field("from", "From (UTC)", `<input type="date" required>`).replaceAll("-%", "-rep")}
      ${field("to", "To (UTC)", `<input type="date" required>`).replaceAll("-%", "-rep")}
      ${
  field(
    "by",
    "By",
    `<select><option value="key">key</option><option value="account">account</option><option value="model">model</option><option value="group">group</option></select>`,
  ).replaceAll("-%", "-rep")
}
      <div class="field"><label>&nbsp;</label><button type="submit">Show</button></div>
      <p class="form-error" role="alert"></p>
    </form>
    <div class="scroll"><table><thead id="report-head"></thead><tbody id="report"></tbody></table></div>
    ${moneySection(field)}
  </section>
</main>
<dialog id="dlg-kind" aria-labelledby="kind-title"><div class="body">
  <h3 id="kind-title">Add an account</h3>
  <div class="kinds">
    <button type="button" data-kind="openai-key"><b>OpenAI API key</b><span>Or any OpenAI-compatible API</span></button>
    <button type="button" data-kind="anthropic-key"><b>Anthropic API key</b><span>Messages API</span></button>
    <button type="button" data-kind="codex"><b>Codex subscription</b><span>ChatGPT Plus / Pro, signed in</span></button>
    <button type="button" data-kind="claude"><b>Claude subscription</b><span>Claude Pro / Max, signed in</span></button>
  </div>
  <div class="buttons"><button type="button" class="plain" data-close>Cancel</button></div>
</div></dialog>
<dialog id="dlg-account" aria-labelledby="account-title">${ACCOUNT_FORM}</dialog>
<dialog id="dlg-sub" aria-labelledby="sub-title">${SIGN_IN_FORM}</dialog>
<dialog id="dlg-group" aria-labelledby="group-title">${GROUP_FORM}</dialog>
<dialog id="dlg-key" aria-labelledby="key-title">${KEY_FORM}</dialog>
<dialog id="dlg-created" aria-labelledby="created-title"><div class="body">
  <h3 id="created-title">Key created</h3>
  <p class="meta">This is the only time the key is shown. Copy it now.</p>
  <div class="secret"><input id="created-key" readonly aria-label="The new key"><button type="button" id="copy-key" data-copy="created-key">Copy</button></div>
  <h3>Set up a client</h3>
  <div class="tabs" id="snippet-tabs" role="tablist" aria-label="Clients"></div>
  <pre id="snippet" tabindex="0"></pre>
  <div class="buttons"><button type="button" class="plain" id="copy-snippet">Copy this setup</button><button type="button" data-close>Done</button></div>
</div></dialog>
<dialog id="dlg-confirm" aria-labelledby="confirm-title"><form novalidate>
  <h3 id="confirm-title"></h3>
  <p class="meta" id="confirm-text"></p>
  <p class="form-error" role="alert"></p>
  <div class="buttons"><button type="button" class="plain" data-close>Cancel</button><button type="submit" class="danger" id="confirm-ok"></button></div>
</form></dialog>
<div id="toast" role="status" hidden></div>
`;
