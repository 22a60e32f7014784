/**
 * Headers are allow-listed both ways (issue 15, item 9), over real sockets:
 * the mock upstream records what reached it. A client cannot choose the pooled
 * account's organization or project nor pass on addresses, the account's own
 * organization and project go out from its config, and the answer's headers
 * do not say which organization or account served it (no `chatgpt-account-id`)
 * nor hand the client the account's cookies (`set-cookie`). What real clients need still
 * travels (their own runs: `cli_clients_test.ts`, `sdk_test.ts`).
 */

import assert from "node:assert/strict";
import { chatRequest, CLIENT_KEY, messagesRequest, startGateway } from "./support/gateway.ts";
import { anthropicMessage, chatCompletion, json, upstream } from "./support/upstream.ts";

/** Headers a client may try to steer the account with, or that carry its addresses. */
const STEERING = {
  "openai-organization": "org-client",
  "openai-project": "proj_client",
  "chatgpt-account-id": "acct-client",
  "anthropic-organization-id": "anth-org-client",
  "x-forwarded-host": "evil.example",
  "x-forwarded-for": "203.0.113.7",
  "x-forwarded-proto": "http",
  "cf-connecting-ip": "203.0.113.7",
  "true-client-ip": "203.0.113.7",
  "x-real-ip": "203.0.113.7",
  forwarded: "for=203.0.113.7",
  cookie: "session=1",
  "x-custom-anything": "1",
};

/** What the account's upstream answers with, besides the body. */
const IDENTIFYING = {
  "openai-organization": "org-pool-secret",
  "openai-project": "proj_pool_secret",
  "anthropic-organization-id": "0d9e-pool-secret",
  "chatgpt-account-id": "acct-pool-secret",
  "set-cookie": "__cf_bm=pool-secret; path=/; HttpOnly",
  "x-request-id": "req_123",
  "request-id": "req_456",
  "x-ratelimit-remaining-requests": "99",
  "anthropic-ratelimit-requests-remaining": "98",
};

/** The answer's headers that would tell which account served it (or hand the client its cookies). */
const ACCOUNT_HEADERS = [
  "openai-organization",
  "openai-project",
  "anthropic-organization-id",
  "chatgpt-account-id",
  "set-cookie",
];

function assertNone(headers: Headers, names: string[], where: string) {
  const found = names.filter((name) => headers.has(name));
  assert.deepEqual(found, [], `${where}: ${JSON.stringify([...headers])}`);
}

Deno.test("OpenAI: named headers reach the account, its own organization and project go with them", async () => {
  await using openai = upstream(() => json(200, chatCompletion("hi"), IDENTIFYING));
  await using gw = await startGateway({
    config: {
      accounts: [{
        id: "oa-1",
        platform: "openai",
        baseUrl: `${openai.url}/v1`,
        apiKey: "sk-upstream-oa-1",
        organization: "org-pool",
        project: "proj_pool",
      }],
      groups: [{ id: "team", accounts: ["oa-1"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
    },
  });
  const response = await gw.api("/v1/chat/completions", {
    json: chatRequest(),
    headers: {
      ...STEERING,
      accept: "application/json",
      "user-agent": "OpenAI/JS 9.9.9",
      "x-stainless-lang": "js",
      "x-stainless-retry-count": "0",
      "idempotency-key": "idem-1",
      "openai-beta": "assistants=v2",
      "anthropic-version": "2023-06-01",
    },
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();

  const [hit] = openai.hits;
  assert.equal(hit.headers.get("openai-organization"), "org-pool");
  assert.equal(hit.headers.get("openai-project"), "proj_pool");
  assert.equal(hit.headers.get("authorization"), "Bearer sk-upstream-oa-1");
  for (
    const [name, value] of Object.entries({
      accept: "application/json",
      "content-type": "application/json",
      "user-agent": "OpenAI/JS 9.9.9",
      "x-stainless-lang": "js",
      "x-stainless-retry-count": "0",
      "idempotency-key": "idem-1",
      "openai-beta": "assistants=v2",
    })
  ) assert.equal(hit.headers.get(name), value, name);
  const dropped = Object.keys(STEERING).filter((name) => !name.startsWith("openai-"));
  assertNone(hit.headers, [...dropped, "anthropic-version"], "upstream");

  assertNone(response.headers, ACCOUNT_HEADERS, "client");
  assert.equal(response.headers.get("x-request-id"), "req_123");
  assert.equal(response.headers.get("x-ratelimit-remaining-requests"), "99");
  assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
});

Deno.test("OpenAI without organization or project: the client's are not sent either", async () => {
  await using openai = upstream(() => json(200, chatCompletion("hi"), IDENTIFYING));
  await using gw = await startGateway({ accounts: [{ id: "oa-1", upstream: openai }] });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest(), headers: STEERING });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assertNone(openai.hits[0].headers, Object.keys(STEERING), "upstream");
  assertNone(response.headers, ACCOUNT_HEADERS, "client");
});

Deno.test("Anthropic: version, betas and Claude Code's headers travel; the organization id does not come back", async () => {
  await using anthropic = upstream(() => json(200, anthropicMessage("hi"), IDENTIFYING));
  await using gw = await startGateway({
    accounts: [{ id: "an-1", upstream: anthropic, platform: "anthropic" }],
  });
  const sent = {
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "interleaved-thinking-2025-05-14",
    "anthropic-dangerous-direct-browser-access": "true",
    "x-app": "cli",
    "x-claude-code-session-id": "s-1",
    "x-stainless-os": "Linux",
    "user-agent": "claude-cli/2.1.332 (external, cli)",
  };
  const response = await gw.api("/v1/messages", {
    json: messagesRequest(),
    headers: { ...STEERING, ...sent, "openai-beta": "responses=v1", originator: "codex_exec" },
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  const [hit] = anthropic.hits;
  for (const [name, value] of Object.entries(sent)) {
    assert.equal(hit.headers.get(name), value, name);
  }
  assert.equal(hit.headers.get("x-api-key"), "sk-upstream-an-1");
  assertNone(hit.headers, [...Object.keys(STEERING), "openai-beta", "originator"], "upstream");
  assertNone(response.headers, ACCOUNT_HEADERS, "client");
  assert.equal(response.headers.get("request-id"), "req_456");
  assert.equal(response.headers.get("anthropic-ratelimit-requests-remaining"), "98");
});

Deno.test("organization and project are refused on accounts that do not send them", async () => {
  for (
    const account of [
      { platform: "anthropic", apiKey: "k", organization: "org-x" },
      { platform: "openai", apiKey: "k", project: "proj\nx" },
    ]
  ) {
    await assert.rejects(
      startGateway({
        config: {
          accounts: [{ id: "a", baseUrl: "http://127.0.0.1:9/v1", ...account }],
          groups: [{ id: "team", accounts: ["a"] }],
          keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
        },
      }),
      /accounts\[0\]\.(organization|project)/,
    );
  }
});
