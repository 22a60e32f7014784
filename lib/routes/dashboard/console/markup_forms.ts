/**
 * The console's dialog forms (an account, a subscription sign-in, a group, a
 * key) and the shape every form field shares: a label, the control, a hint,
 * and the place where the API's 400 message for that field appears.
 *
 * @module
 */

/** Forms share this shape: a label, the control, a hint, and the API's message for it. */
export function field(
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

export const ACCOUNT_FORM = form(
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

export const SIGN_IN_FORM = form(
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

export const GROUP_FORM = form(
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

export const KEY_FORM = form(
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
