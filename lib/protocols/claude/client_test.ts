import assert from "node:assert/strict";
import { CLAUDE_CODE_IDENTITY, isClaudeCodeRequest, subscriptionServes } from "./client.ts";

const CLAUDE_CODE_HEADERS = new Headers({
  "user-agent": "claude-cli/2.1.62 (external, cli)",
  "x-app": "cli",
  "anthropic-beta": "claude-code-20250219,oauth-2025-04-20",
});

const CLAUDE_CODE_BODY = {
  model: "claude-sonnet-4-5",
  system: [
    { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.62; cc_entrypoint=cli;" },
    { type: "text", text: `${CLAUDE_CODE_IDENTITY}.` },
    { type: "text", text: "You are an interactive agent…" },
  ],
  messages: [{ role: "user", content: "hi" }],
};

const CASES: { name: string; headers: Headers; body: unknown; claudeCode: boolean }[] = [
  {
    name: "Claude Code itself",
    headers: CLAUDE_CODE_HEADERS,
    body: CLAUDE_CODE_BODY,
    claudeCode: true,
  },
  {
    name: "Claude Code without x-app, identity in a string system prompt",
    headers: new Headers({ "user-agent": "claude-cli/1.0.120 (external, sdk-cli)" }),
    body: { system: `${CLAUDE_CODE_IDENTITY}.`, messages: [] },
    claudeCode: true,
  },
  {
    name: "the Anthropic SDK with a copied prompt",
    headers: new Headers({ "user-agent": "Anthropic/JS 1.13.0" }),
    body: CLAUDE_CODE_BODY,
    claudeCode: false,
  },
  {
    name: "a claude-cli user agent alone",
    headers: new Headers({ "user-agent": "claude-cli/2.0.0" }),
    body: { system: "You are a helpful assistant.", messages: [] },
    claudeCode: false,
  },
];

for (const { name, headers, body, claudeCode } of CASES) {
  Deno.test(`claude code detection: ${name}`, () => {
    assert.equal(isClaudeCodeRequest(headers, body), claudeCode);
    assert.equal(subscriptionServes(headers, body, false).ok, claudeCode);
  });
}

Deno.test("claude subscription: a translated request is never sent to it", () => {
  const result = subscriptionServes(CLAUDE_CODE_HEADERS, CLAUDE_CODE_BODY, true);
  assert.ok(!result.ok && /translated/.test(result.reason));
});
