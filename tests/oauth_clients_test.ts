/**
 * Our sign-in constants against the pinned clients' own: the authorization
 * URL, token URL, redirect, scopes and client id that Claude Code and the
 * Codex CLI (installed by `cli_clients.ts`) use today. A client update that
 * moves one fails here, naming the constant and what the client has now.
 * Also table-tests the extraction on made-up bundles, so a change of shape
 * the extraction cannot follow fails loudly rather than matching nothing.
 */
import assert from "node:assert/strict";
import type { Platform } from "../lib/config/types.ts";
import { OAUTH_DEFAULTS } from "../lib/config/oauth.ts";
import { SIGN_IN_DEFAULTS } from "../lib/providers/oauth/authorize.ts";
import { CLAUDE_PACKAGE, CODEX_PACKAGE, installClients } from "./support/cli_clients.ts";
import {
  claudeFromClient,
  claudeFromModule,
  type ClientOAuth,
  codexFromClient,
  codexFromOutput,
  type Extracted,
} from "./support/client_oauth.ts";

/** Skips only when the registry cannot be reached; any other install failure fails. */
const installProblem = await installClients();
const unreachable = installProblem !== null &&
  /npm is not available|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network/i.test(
    installProblem,
  );
if (unreachable) console.error(`oauth_clients_test: skipped: npm unreachable: ${installProblem}`);

/** Each of our constants that differs from the client's value, as a sentence. */
function differences(platform: Platform, client: string, theirs: ClientOAuth): string[] {
  const ours: Record<keyof ClientOAuth, [string, string][]> = {
    authorizeUrl: [[
      `SIGN_IN_DEFAULTS.${platform}.authorizeUrl`,
      SIGN_IN_DEFAULTS[platform].authorizeUrl,
    ]],
    tokenUrl: [
      [`OAUTH_DEFAULTS.${platform}.tokenUrl`, OAUTH_DEFAULTS[platform].tokenUrl],
      [`SIGN_IN_DEFAULTS.${platform}.tokenUrl`, SIGN_IN_DEFAULTS[platform].tokenUrl],
    ],
    redirectUri: [[
      `SIGN_IN_DEFAULTS.${platform}.redirectUri`,
      SIGN_IN_DEFAULTS[platform].redirectUri,
    ]],
    scope: [[`SIGN_IN_DEFAULTS.${platform}.scope`, SIGN_IN_DEFAULTS[platform].scope]],
    clientId: [
      [`OAUTH_DEFAULTS.${platform}.clientId`, OAUTH_DEFAULTS[platform].clientId],
      [`SIGN_IN_DEFAULTS.${platform}.clientId`, SIGN_IN_DEFAULTS[platform].clientId],
    ],
  };
  const same = (field: keyof ClientOAuth, a: string, b: string) =>
    field === "scope" ? sortedScopes(a) === sortedScopes(b) : a === b;
  const found: string[] = [];
  for (const field of Object.keys(ours) as (keyof ClientOAuth)[]) {
    for (const [name, value] of ours[field]) {
      if (!same(field, value, theirs[field])) {
        found.push(
          `${name} is ${JSON.stringify(value)}; ${client} has ${JSON.stringify(theirs[field])}`,
        );
      }
    }
  }
  return found;
}

function sortedScopes(scope: string): string {
  return scope.split(/\s+/).filter(Boolean).sort().join(" ");
}

function compare(platform: Platform, client: string, extracted: Extracted, hint: string): void {
  assert.ok(
    extracted.ok,
    `could not read ${client}'s sign-in settings: ${!extracted.ok && extracted.problem}`,
  );
  const found = differences(platform, client, extracted.values);
  assert.deepEqual(
    found,
    [],
    `our ${platform} sign-in constants differ from ${client}:\n  ${found.join("\n  ")}${hint}`,
  );
}

/**
 * A note for the failure message when our redirect's loopback port is taken
 * here: Codex then falls back to another port, which is not a client change.
 */
function busyPortHint(redirectUri: string): string {
  const url = new URL(redirectUri);
  if (!["127.0.0.1", "localhost"].includes(url.hostname) || !url.port) return "";
  try {
    Deno.listen({ hostname: "127.0.0.1", port: Number(url.port) }).close();
    return "";
  } catch {
    return `\n  (port ${url.port} was in use on this machine, so the client may have fallen back ` +
      "to another port: free it and run again)";
  }
}

const CLIENTS: [Platform, string, string, () => Promise<Extracted>][] = [
  ["anthropic", "Claude Code", CLAUDE_PACKAGE, claudeFromClient],
  ["openai", "Codex CLI", CODEX_PACKAGE, codexFromClient],
];

for (const [platform, name, client, extract] of CLIENTS) {
  Deno.test({
    name: `sign-in constants match the pinned ${name}`,
    ignore: unreachable,
    async fn() {
      assert.equal(installProblem, null, `the clients did not install: ${installProblem}`);
      const hint = busyPortHint(SIGN_IN_DEFAULTS[platform].redirectUri);
      compare(platform, client, await extract(), hint);
    },
  });
}

/** A made-up OAuth module in the shape of Claude Code's bundle. */
function claudeModule(overrides: { extra?: string; scopes?: string; token?: string } = {}): string {
  return [
    "// Version: 9.9.9",
    'import{R}from"/$bunfs/root/chunk-x.js";var Q5="user:inference",k$="user:profile",zz="user:sessions:claude_code";',
    'var c="org:create_api_key",ep="oauth-2025-04-20",Uer=[c,k$],q=[zz,k$];',
    overrides.scopes ?? 'var n=[k$,Q5,zz,"user:mcp_servers"];function f(){let E=[...n];return E}',
    'var o={BASE_API_URL:"https://api.example",CONSOLE_AUTHORIZE_URL:"https://console.example/oauth/authorize",',
    'CLAUDE_AI_AUTHORIZE_URL:"https://ai.example/oauth/authorize",',
    `TOKEN_URL:"${overrides.token ?? "https://auth.example/v1/oauth/token"}",`,
    'MANUAL_REDIRECT_URL:"https://auth.example/oauth/code/callback",',
    'CLIENT_ID:"0a1b2c3d-0000-4000-8000-00000000abcd",DESIGN_CLIENT_ID:"11111111-2222-4333-8444-555555555555"};',
    overrides.extra ?? "",
    "function un(){let _=x;return{TOKEN_URL:`${_}/v1/oauth/token`,CLIENT_ID:e}}",
    "export{o,un};",
  ].join("");
}

Deno.test("Claude Code's settings are found by shape next to their names", async (t) => {
  await t.step("the config object's values and the resolved subscription scopes", () => {
    assert.deepEqual(claudeFromModule(claudeModule()), {
      ok: true,
      values: {
        authorizeUrl: "https://ai.example/oauth/authorize",
        tokenUrl: "https://auth.example/v1/oauth/token",
        redirectUri: "https://auth.example/oauth/code/callback",
        clientId: "0a1b2c3d-0000-4000-8000-00000000abcd",
        scope: "user:profile user:inference user:sessions:claude_code user:mcp_servers",
      },
    });
  });
  await t.step("two subscription scope lists are ambiguous, not a guess", () => {
    const result = claudeFromModule(claudeModule({ extra: 'var w=[Q5,"user:file_upload"];' }));
    assert.ok(!result.ok);
    assert.match(result.problem, /2 lists hold user:inference/);
  });
  await t.step("a list naming an unknown variable is not read as scopes", () => {
    const result = claudeFromModule(claudeModule({ scopes: "var n=[k$,Q5,unknownName];" }));
    assert.ok(!result.ok);
    assert.match(result.problem, /0 lists hold user:inference/);
  });
  await t.step("a value without its shape is named", () => {
    const result = claudeFromModule(claudeModule({ token: "not a url" }));
    assert.ok(!result.ok);
    assert.match(result.problem, /TOKEN_URL: "not a url" has not its shape/);
  });
  await t.step("a second, different value of a name is a problem", () => {
    const result = claudeFromModule(
      claudeModule({ extra: 'var p={TOKEN_URL:"https://x.example/t"};' }),
    );
    assert.ok(!result.ok);
    assert.match(result.problem, /TOKEN_URL: 2 distinct values/);
  });
});

Deno.test("Codex's settings come from the URL it prints and its token literal", () => {
  const printed = "Starting local login server on http://localhost:1455.\n\n" +
    "https://auth.example.com/oauth/authorize?response_type=code&client_id=app_X1&" +
    "redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&scope=openid+profile+a.b" +
    "&state=s\n";
  const binary = ["routinghttps://auth.example.com/oauth/tokenhttps://other.example/oauth/token"];
  assert.deepEqual(codexFromOutput(printed, binary), {
    ok: true,
    values: {
      authorizeUrl: "https://auth.example.com/oauth/authorize",
      tokenUrl: "https://auth.example.com/oauth/token",
      redirectUri: "http://127.0.0.1:1455/auth/callback",
      scope: "openid profile a.b",
      clientId: "app_X1",
    },
  });
  const silent = codexFromOutput("error: could not bind", binary);
  assert.ok(!silent.ok && /printed no authorization URL/.test(silent.problem));
  const noToken = codexFromOutput(printed, ["https://other.example/oauth/token"]);
  assert.ok(!noToken.ok && /0 candidates/.test(noToken.problem));
});
