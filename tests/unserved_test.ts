/**
 * Requests no account of the key's group can serve by kind or protocol, over
 * real sockets with the real SDKs: a 4xx in the client's shape that says why
 * and that the SDKs do not retry (they retry 408, 409, 429 and 5xx), with
 * no upstream call.
 */

import assert from "node:assert/strict";
import { Anthropic, OpenAI } from "./support/npm_packages.ts";
import { SECRET, startGateway } from "./support/gateway.ts";
import {
  anthropicError,
  anthropicMessage,
  chatCompletion,
  json,
  upstream,
} from "./support/upstream.ts";
import { codexAccount } from "./support/protocol_mocks.ts";

const CLAUDE_ONLY_KEY = "sk-client-claude-only-0123456789";
const CODEX_STRICT_KEY = "sk-client-codex-strict-01234567";

function claudeAccount(id: string, baseUrl: string): Record<string, unknown> {
  return {
    id,
    platform: "anthropic",
    baseUrl,
    oauth: {
      accessToken: "claude-access",
      refreshToken: "claude-refresh",
      expiresAt: Date.now() + 24 * 3600_000,
      tokenUrl: "http://127.0.0.1:9/oauth/token",
    },
  };
}

Deno.test("a group that cannot serve a request by kind answers a 4xx the SDKs do not retry", async (t) => {
  await using claude = upstream(() => json(200, anthropicMessage("never")));
  await using codex = upstream(() => json(200, chatCompletion("never")));
  await using gw = await startGateway({
    secret: SECRET,
    config: {
      accounts: [claudeAccount("claude-sub", claude.url), codexAccount("codex", codex.url)],
      groups: [
        { id: "claude-only", accounts: ["claude-sub"] },
        { id: "codex-strict", accounts: ["codex"], translate: false },
      ],
      keys: [
        { id: "c", key: CLAUDE_ONLY_KEY, group: "claude-only" },
        { id: "x", key: CODEX_STRICT_KEY, group: "codex-strict" },
      ],
    },
  });

  await t.step("Anthropic SDK on Claude subscriptions: one request, 400, why", async () => {
    // Retries on: a retryable status (5xx, 429, 408, 409) would reach the gateway three times.
    const client = new Anthropic({ apiKey: CLAUDE_ONLY_KEY, baseURL: gw.url, maxRetries: 2 });
    const before = gw.received.length;
    await assert.rejects(
      client.messages.create({
        model: "claude-test",
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
      }),
      (error) =>
        error instanceof Anthropic.BadRequestError && error.status === 400 &&
        error.type === "invalid_request_error" &&
        /Claude subscription accounts serve Claude Code only/.test(error.message),
    );
    assert.equal(gw.received.length - before, 1, "one request: not retried");
  });

  await t.step("OpenAI SDK on Claude subscriptions (translation): the same", async () => {
    const client = new OpenAI({
      apiKey: CLAUDE_ONLY_KEY,
      baseURL: `${gw.url}/v1`,
      maxRetries: 2,
    });
    const before = gw.received.length;
    await assert.rejects(
      client.chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "hi" }],
      }),
      (error) =>
        error instanceof OpenAI.BadRequestError && error.status === 400 &&
        /Claude subscription accounts serve Claude Code only/.test(error.message),
    );
    assert.equal(gw.received.length - before, 1, "one request: not retried");
  });

  await t.step("OpenAI SDK chat on a Codex group without translation: 400, why", async () => {
    const client = new OpenAI({
      apiKey: CODEX_STRICT_KEY,
      baseURL: `${gw.url}/v1`,
      maxRetries: 2,
    });
    const before = gw.received.length;
    await assert.rejects(
      client.chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "hi" }],
      }),
      (error) =>
        error instanceof OpenAI.BadRequestError && error.status === 400 &&
        /translation is off/.test(error.message),
    );
    assert.equal(gw.received.length - before, 1, "one request: not retried");
  });
  assert.equal(claude.hits.length + codex.hits.length, 0, "no upstream call");

  await t.step("Claude Code itself on the same group is served", async () => {
    const response = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": CLAUDE_ONLY_KEY,
        "content-type": "application/json",
        "user-agent": "claude-cli/2.1.332 (external, cli)",
        "x-app": "cli",
      },
      body: JSON.stringify({
        model: "claude-test",
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).content[0].text, "never");
    assert.equal(claude.hits.length, 1);
  });
});

Deno.test("accounts that serve but are cooling still answer 429, which clients retry", async () => {
  await using limited = upstream(() =>
    json(429, anthropicError("rate limited", "rate_limit_error"), { "retry-after": "60" })
  );
  await using claude = upstream(() => json(200, anthropicMessage("never")));
  await using gw = await startGateway({
    secret: SECRET,
    config: {
      accounts: [
        claudeAccount("claude-sub", claude.url),
        { id: "key", platform: "anthropic", baseUrl: limited.url, apiKey: "sk-a" },
      ],
      groups: [{ id: "team", accounts: ["claude-sub", "key"] }],
      keys: [{ id: "c", key: CLAUDE_ONLY_KEY, group: "team" }],
    },
  });
  const client = new Anthropic({ apiKey: CLAUDE_ONLY_KEY, baseURL: gw.url, maxRetries: 0 });
  const ask = () =>
    client.messages.create({
      model: "claude-test",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
  // The key's own 429, then the gateway's "every account is cooling".
  for (let i = 0; i < 2; i++) {
    await assert.rejects(ask(), (error) => error instanceof Anthropic.RateLimitError);
  }
  assert.equal(limited.hits.length, 1);
  assert.equal(claude.hits.length, 0);
});
