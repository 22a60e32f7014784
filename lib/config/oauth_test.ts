/** Table tests for the OAuth defaults (`oauth.ts`): where an account refreshes. */

import assert from "node:assert/strict";
import type { Platform } from "./types.ts";
import { currentTokenUrl, OAUTH_DEFAULTS, readOAuth } from "./oauth.ts";
import { Fields } from "./fields.ts";

const CLAUDE_NOW = OAUTH_DEFAULTS.anthropic.tokenUrl;

const ROWS: [string, Platform, string, string][] = [
  [
    "Claude's retired default follows the new one",
    "anthropic",
    "https://console.anthropic.com/v1/oauth/token",
    CLAUDE_NOW,
  ],
  [
    "also with a trailing slash",
    "anthropic",
    "https://console.anthropic.com/v1/oauth/token/",
    CLAUDE_NOW,
  ],
  ["today's default stays", "anthropic", CLAUDE_NOW, CLAUDE_NOW],
  [
    "an operator's proxy stays",
    "anthropic",
    "https://proxy.internal/v1/oauth/token",
    "https://proxy.internal/v1/oauth/token",
  ],
  [
    "a mock on loopback stays",
    "anthropic",
    "http://127.0.0.1:9/oauth/token",
    "http://127.0.0.1:9/oauth/token",
  ],
  [
    "Codex's default stays",
    "openai",
    OAUTH_DEFAULTS.openai.tokenUrl,
    OAUTH_DEFAULTS.openai.tokenUrl,
  ],
  [
    "a retired Claude URL on a Codex account is an operator's choice",
    "openai",
    "https://console.anthropic.com/v1/oauth/token",
    "https://console.anthropic.com/v1/oauth/token",
  ],
];

for (const [name, platform, configured, expected] of ROWS) {
  Deno.test(`currentTokenUrl: ${name}`, () => {
    assert.equal(currentTokenUrl(platform, configured), expected);
  });
}

Deno.test("readOAuth: the default, an override, and a retired default", () => {
  const read = (oauth: Record<string, unknown>) =>
    readOAuth(Fields.of(oauth, "oauth"), "anthropic").tokenUrl;
  assert.equal(read({}), CLAUDE_NOW);
  assert.equal(
    read({ tokenUrl: "http://127.0.0.1:9/oauth/token/" }),
    "http://127.0.0.1:9/oauth/token",
  );
  assert.equal(read({ tokenUrl: "https://console.anthropic.com/v1/oauth/token" }), CLAUDE_NOW);
});
