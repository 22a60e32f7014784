/**
 * The console's HTML: the header with its sections, the sign-in form, the
 * three views (the pool, keys and groups, usage) and the dialogs. It holds no
 * data; the script fills it from the admin API. The dialogs' forms are in
 * `markup_forms.ts`.
 *
 * @module
 */

import { ACCOUNT_FORM, field, GROUP_FORM, KEY_FORM, SIGN_IN_FORM } from "./markup_forms.ts";
import { moneySection } from "./markup_money.ts";

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
