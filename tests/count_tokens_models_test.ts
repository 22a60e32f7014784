/**
 * `POST /v1/messages/count_tokens` and `GET /v1/models` on groups whose
 * accounts speak the other API, over real sockets: Claude Code on a
 * Codex-only group gets a local estimate of its request's input tokens (not
 * an error), and the model list of an all-Anthropic group comes back in the
 * shape of the client that asks (OpenAI's list, or Anthropic's when it sends
 * `anthropic-version`).
 */

import assert from "node:assert/strict";
import { Anthropic, OpenAI } from "./support/npm_packages.ts";
import { SECRET, startGateway, type TestGateway } from "./support/gateway.ts";
import { codexAccount } from "./support/protocol_mocks.ts";
import { json, type MockHandler, upstream } from "./support/upstream.ts";

const CODEX_KEY = "sk-client-codex-only-0123456789";
const ANTHROPIC_KEY = "sk-client-anthropic-only-0123";

/** Anthropic's `GET /v1/models` (a page of `limit`, default 20), `404` for anything else. */
const anthropicModels: MockHandler = (request) => {
  const url = new URL(request.url);
  const all = [
    { id: "claude-opus-4-1", created_at: "2025-08-05T00:00:00Z" },
    { id: "claude-sonnet-4-5", created_at: "2025-09-29T00:00:00Z" },
  ].map((model) => ({ type: "model", display_name: model.id, ...model }));
  const id = url.pathname.match(/\/models\/([^/]+)$/)?.[1];
  const found = all.find((model) => model.id === id);
  if (found) return json(200, found);
  if (request.method !== "GET" || !url.pathname.endsWith("/models")) {
    const message = `no model ${id ?? url.pathname}`;
    return json(404, { type: "error", error: { type: "not_found_error", message } });
  }
  const limit = Number(url.searchParams.get("limit") ?? 20);
  const data = all.slice(0, limit);
  return json(200, {
    data,
    has_more: data.length < all.length,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
};

async function gatewayFor(codexUrl: string, anthropicUrl: string): Promise<TestGateway> {
  return await startGateway({
    secret: SECRET,
    config: {
      accounts: [
        codexAccount("codex", codexUrl),
        { id: "claude-key", platform: "anthropic", baseUrl: anthropicUrl, apiKey: "sk-a" },
      ],
      groups: [
        { id: "codex-only", accounts: ["codex"] },
        { id: "anthropic-only", accounts: ["claude-key"] },
      ],
      keys: [
        { id: "c", key: CODEX_KEY, group: "codex-only" },
        { id: "a", key: ANTHROPIC_KEY, group: "anthropic-only" },
      ],
    },
  });
}

Deno.test("count_tokens on a Codex-only group: Claude Code gets an estimate, not an error", async () => {
  await using codex = upstream(() => json(500, { error: "never called" }));
  await using anthropic = upstream(anthropicModels);
  await using gw = await gatewayFor(codex.url, anthropic.url);
  const count = async (body: unknown) => {
    const response = await fetch(`${gw.url}/v1/messages/count_tokens?beta=true`, {
      method: "POST",
      headers: {
        "x-api-key": CODEX_KEY,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
        "user-agent": "claude-cli/2.1.332 (external, cli)",
        "x-app": "cli",
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  const short = await count({
    model: "claude-sonnet-4-5",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(short.status, 200, JSON.stringify(short.body));
  assert.equal(typeof short.body.input_tokens, "number");
  assert.ok(short.body.input_tokens > 0);
  assert.equal(short.headers.get("x-switchyard-token-count"), "estimate");
  const long = await count({
    model: "claude-sonnet-4-5",
    system: "You are Claude Code, Anthropic's official CLI for Claude.",
    tools: [{
      name: "Read",
      description: "Reads a file",
      input_schema: { type: "object", properties: { path: { type: "string" } } },
    }],
    messages: [{ role: "user", content: "word ".repeat(2000) }],
  });
  assert.equal(long.status, 200);
  // About four characters a token: 10,000 characters of text are some 2,500 tokens.
  assert.ok(long.body.input_tokens > 2000 && long.body.input_tokens < 4000, long.body);

  // The Anthropic SDK's own call parses it.
  const client = new Anthropic({ apiKey: CODEX_KEY, baseURL: gw.url, maxRetries: 0 });
  const counted = await client.messages.countTokens({
    model: "claude-sonnet-4-5",
    messages: [{ role: "user", content: "hello there" }],
  });
  assert.ok(counted.input_tokens > 0);
  assert.equal(codex.hits.length, 0, "counted without an upstream call");
});

Deno.test("GET /v1/models on an all-Anthropic group: OpenAI clients get OpenAI's list", async () => {
  await using codex = upstream(() => json(500, { error: "never called" }));
  await using anthropic = upstream(anthropicModels);
  await using gw = await gatewayFor(codex.url, anthropic.url);

  const openai = new OpenAI({ apiKey: ANTHROPIC_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const ids: string[] = [];
  for await (const model of openai.models.list()) {
    assert.equal(model.object, "model");
    assert.equal(model.owned_by, "anthropic");
    assert.equal(typeof model.created, "number");
    ids.push(model.id);
  }
  assert.deepEqual(ids, ["claude-opus-4-1", "claude-sonnet-4-5"]);

  const raw = await fetch(`${gw.url}/v1/models`, {
    headers: { authorization: `Bearer ${ANTHROPIC_KEY}` },
  });
  assert.equal(raw.status, 200);
  const list = await raw.json();
  assert.equal(list.object, "list");
  assert.equal(list.data[1].created, Date.parse("2025-09-29T00:00:00Z") / 1000);

  // One model, and an unknown one: Anthropic's 404 as OpenAI's, which the SDK types.
  const one = await openai.models.retrieve("claude-sonnet-4-5");
  assert.deepEqual(one, {
    id: "claude-sonnet-4-5",
    object: "model",
    created: Date.parse("2025-09-29T00:00:00Z") / 1000,
    owned_by: "anthropic",
  });
  await assert.rejects(
    openai.models.retrieve("gpt-nope"),
    (error) =>
      error instanceof OpenAI.NotFoundError && error.type === "invalid_request_error" &&
      /no model gpt-nope/.test(error.message),
  );

  assert.notEqual((await gw.account("claude-key")).state, "cooldown", "a 404 is the client's");

  // One page of Anthropic's list (its default page holds 20 models), with the account's key.
  assert.equal(anthropic.hits.length, 4);
  assert.equal(anthropic.hits[0].path, "/models?limit=1000");
  assert.equal(anthropic.hits[2].path, "/models/claude-sonnet-4-5");
  assert.equal(anthropic.hits[0].headers.get("x-api-key"), "sk-a");
  assert.equal(codex.hits.length, 0);
});

Deno.test("GET /v1/models on an all-Anthropic group: the Anthropic SDK gets Anthropic's list", async () => {
  await using codex = upstream(() => json(500, { error: "never called" }));
  await using anthropic = upstream(anthropicModels);
  await using gw = await gatewayFor(codex.url, anthropic.url);
  const claude = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: gw.url, maxRetries: 0 });
  const page = await claude.models.list();
  assert.deepEqual(page.data.map((model) => [model.type, model.id]), [
    ["model", "claude-opus-4-1"],
    ["model", "claude-sonnet-4-5"],
  ]);
  assert.equal(page.has_more, false);
  // Natively, as the SDK asked (its own page size).
  assert.equal(anthropic.hits.length, 1);
  assert.match(anthropic.hits[0].path, /^\/models(\?|$)/);
  assert.ok(anthropic.hits[0].headers.get("anthropic-version"));
  assert.equal(codex.hits.length, 0);
});

Deno.test("count_tokens on Anthropic and Codex accounts: the exact count, an estimate when none can count", async () => {
  let limited = false;
  await using anthropic = upstream(() =>
    limited
      ? json(429, { type: "error", error: { type: "rate_limit_error", message: "slow down" } }, {
        "retry-after": "60",
      })
      : json(200, { input_tokens: 42 })
  );
  await using codex = upstream(() => json(500, { error: "never called" }));
  await using gw = await startGateway({
    secret: SECRET,
    config: {
      accounts: [
        { id: "claude-key", platform: "anthropic", baseUrl: anthropic.url, apiKey: "sk-a" },
        codexAccount("codex", codex.url),
      ],
      groups: [{ id: "team", accounts: ["claude-key", "codex"] }],
      keys: [{ id: "c", key: CODEX_KEY, group: "team" }],
    },
  });
  // Retries on, as in Claude Code: an answer it retries would reach the gateway again.
  const client = new Anthropic({ apiKey: CODEX_KEY, baseURL: gw.url, maxRetries: 2 });
  const count = async () => {
    const before = gw.received.length;
    const { data, response } = await client.messages.countTokens({
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "hello there" }],
    }).withResponse();
    assert.equal(gw.received.length - before, 1, "one request");
    return {
      tokens: data.input_tokens,
      estimate: response.headers.get("x-switchyard-token-count"),
    };
  };
  assert.deepEqual(await count(), { tokens: 42, estimate: null }, "the account's exact count");
  limited = true;
  // The account's 429, then the gateway's "every account is cooling": an estimate both times.
  for (const round of ["after the account's 429", "while it cools"]) {
    const counted = await count();
    assert.equal(counted.estimate, "estimate", round);
    assert.ok(counted.tokens > 0 && counted.tokens !== 42, round);
  }
  assert.equal(anthropic.hits.length, 2);
  assert.equal((await gw.account("claude-key")).state, "cooldown");
  assert.equal(codex.hits.length, 0);
});
