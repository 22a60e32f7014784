/**
 * Model routing over real sockets: account `models` (names and mappings
 * with wildcards), group aliases and allow-lists, key allow-lists, 404
 * `model_not_found` and 403 without an upstream call, the upstream name in
 * the body and in `x-switchyard-model`, `GET /v1/models` from the
 * configuration, and config errors naming the field.
 */

import assert from "node:assert/strict";
import { ConfigError } from "../lib/config/errors.ts";
import { validateConfig } from "../lib/config/validate.ts";
import { CLIENT_KEY, SECRET, startGateway } from "./support/gateway.ts";
import { anthropicHandler, codexAccount, codexHandler } from "./support/protocol_mocks.ts";
import { upstream } from "./support/upstream.ts";

const LIMITED_KEY = "sk-client-limited-0123456789";

Deno.test("model routing", async (t) => {
  await using codex = upstream(codexHandler);
  await using anthropic = upstream(anthropicHandler);
  await using gw = await startGateway({
    secret: SECRET,
    config: {
      accounts: [
        codexAccount("codex", codex.url, { models: { "gpt-5": "gpt-5-codex", "gpt-5-mini": "*" } }),
        {
          id: "claude-key",
          platform: "anthropic",
          baseUrl: anthropic.url,
          apiKey: "sk-a",
          models: ["claude-*"],
        },
      ],
      groups: [{ id: "team", accounts: ["codex", "claude-key"], models: { fast: "gpt-5-mini" } }],
      keys: [
        { id: "alice", key: CLIENT_KEY, group: "team" },
        { id: "limited", key: LIMITED_KEY, group: "team", allowModels: ["gpt-*"] },
      ],
    },
  });
  const chat = (model: string, key = CLIENT_KEY) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });

  await t.step(
    "a mapped name goes upstream under its upstream name, named in the header",
    async () => {
      const response = await chat("gpt-5");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-switchyard-account"), "codex");
      assert.equal(response.headers.get("x-switchyard-model"), "gpt-5-codex");
      await response.body?.cancel();
      assert.equal(JSON.parse(codex.hits.at(-1)!.body).model, "gpt-5-codex");
    },
  );

  await t.step("a group alias, then the account's mapping", async () => {
    const response = await chat("fast");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-switchyard-model"), "gpt-5-mini");
    await response.body?.cancel();
    assert.equal(JSON.parse(codex.hits.at(-1)!.body).model, "gpt-5-mini");
  });

  await t.step(
    "the model picks the account: a Claude name goes to the Claude account",
    async () => {
      const response = await chat("claude-sonnet-4-5");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-switchyard-account"), "claude-key");
      await response.body?.cancel();
      assert.equal(JSON.parse(anthropic.hits.at(-1)!.body).model, "claude-sonnet-4-5");
    },
  );

  await t.step("a model no account serves: 404 model_not_found, no upstream call", async () => {
    const before = codex.hits.length + anthropic.hits.length;
    const response = await chat("o3");
    assert.equal(response.status, 404);
    const body = await response.json();
    assert.equal(body.error.code, "model_not_found");
    const messages = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": CLIENT_KEY, "content-type": "application/json" },
      body: JSON.stringify({ model: "o3", max_tokens: 5, messages: [] }),
    });
    assert.equal(messages.status, 404);
    assert.equal((await messages.json()).type, "error");
    assert.equal(codex.hits.length + anthropic.hits.length, before);
  });

  await t.step("a model the key may not use: 403, no upstream call", async () => {
    const before = anthropic.hits.length;
    const response = await chat("claude-sonnet-4-5", LIMITED_KEY);
    assert.equal(response.status, 403);
    assert.match((await response.json()).error.message, /may not use model "claude-sonnet-4-5"/);
    assert.equal(anthropic.hits.length, before);
  });

  await t.step("usage by=model shows the upstream's name and the client's", async () => {
    await gw.gateway.usage.flush();
    const response = await gw.admin("/admin/usage?by=model");
    const models = (await response.json()).rows.map((row: { model: string }) => row.model);
    // The mock upstreams report their own model names; the client's name stands beside them.
    assert.ok(models.includes("gpt-5 (as fast)"), models.join());
    assert.ok(models.includes("claude-sonnet-4-5"), models.join());
    const logged = gw.log.find((entry) => entry.requestedModel === "fast");
    assert.equal(logged?.model, "gpt-5");
  });

  await t.step("GET /v1/models lists the configured names, in either API's shape", async () => {
    const openai = await fetch(`${gw.url}/v1/models`, {
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    });
    const list = await openai.json();
    assert.equal(list.object, "list");
    assert.deepEqual(list.data.map((m: { id: string }) => m.id), ["fast", "gpt-5", "gpt-5-mini"]);
    const claude = await fetch(`${gw.url}/v1/models`, {
      headers: { "x-api-key": LIMITED_KEY, "anthropic-version": "2023-06-01" },
    });
    const page = await claude.json();
    assert.equal(page.has_more, false);
    assert.deepEqual(page.data.map((m: { id: string }) => m.id), ["gpt-5", "gpt-5-mini"]);
  });
});

Deno.test("model routing config errors name the field", () => {
  const base = () => ({
    accounts: [{ id: "a", platform: "openai", baseUrl: "https://x.test/v1", apiKey: "k" }],
    groups: [{ id: "g", accounts: ["a"] }],
    keys: [{ id: "k", key: "sk-key-0001", group: "g" }],
  });
  const problem = (mutate: (doc: ReturnType<typeof base>) => void): string => {
    const doc = base();
    mutate(doc);
    try {
      validateConfig(doc, () => undefined);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.ok(!error.message.includes("\n"), "one line");
      return error.message;
    }
    return assert.fail("validated");
  };
  assert.match(
    problem((d) => Object.assign(d.accounts[0], { models: 5 })),
    /accounts\[0\]\.models/,
  );
  assert.match(
    problem((d) => Object.assign(d.accounts[0], { models: { "gpt-5": 1 } })),
    /accounts\[0\]\.models\.gpt-5/,
  );
  assert.match(
    problem((d) => Object.assign(d.groups[0], { models: ["x"] })),
    /groups\[0\]\.models/,
  );
  assert.match(
    problem((d) => Object.assign(d.keys[0], { allowModels: "gpt-5" })),
    /keys\[0\]\.allowModels/,
  );
});
