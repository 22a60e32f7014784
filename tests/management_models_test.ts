/**
 * Model routing on accounts made through the management API, over real
 * sockets: `models` set by POST/PUT is stored, shown by GET and honoured by
 * the planner (upstream name in the body and in `x-switchyard-model`, 404
 * `model_not_found` for a name no account serves); a bad value is a 400
 * naming the field; `null`, `[]` and `{}` clear it.
 */

import assert from "node:assert/strict";
import { CLIENT_KEY, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { chatHandler } from "./support/protocol_mocks.ts";
import { upstream } from "./support/upstream.ts";

Deno.test("management API: account models", async (t) => {
  await using chat = upstream(chatHandler);
  await using gw = await startGateway({
    secret: SECRET,
    config: {
      accounts: [{ id: "seed", platform: "openai", baseUrl: chat.url, apiKey: "sk-seed" }],
      groups: [{ id: "team", accounts: ["seed"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
    },
  });
  const admin = async (path: string, method: string, json?: unknown) => {
    const response = await gw.admin(path, { method, json });
    return { status: response.status, body: await readJson(response) };
  };
  const ask = (model: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });

  await t.step("POST sets models; GET shows them", async () => {
    const created = await admin("/admin/accounts", "POST", {
      id: "api-acct",
      platform: "openai",
      baseUrl: chat.url,
      apiKey: "sk-upstream-api",
      models: { "gpt-5": "gpt-5-codex", "claude-*": "*" },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.models, { "gpt-5": "gpt-5-codex", "claude-*": "*" });
    const group = await admin("/admin/groups/team", "PUT", { accounts: ["api-acct"] });
    assert.equal(group.status, 200);
    const rows = (await admin("/admin/accounts", "GET")).body as unknown as {
      id: string;
      models?: unknown;
    }[];
    assert.deepEqual(rows.find((row) => row.id === "api-acct")?.models, {
      "gpt-5": "gpt-5-codex",
      "claude-*": "*",
    });
  });

  await t.step("a mapped name reaches the upstream under its upstream name", async () => {
    const response = await ask("gpt-5");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-switchyard-account"), "api-acct");
    assert.equal(response.headers.get("x-switchyard-model"), "gpt-5-codex");
    await response.body?.cancel();
    assert.equal(JSON.parse(chat.hits.at(-1)!.body).model, "gpt-5-codex");
  });

  await t.step("a model it does not serve: 404 model_not_found, no upstream call", async () => {
    const before = chat.hits.length;
    const response = await ask("o3");
    assert.equal(response.status, 404);
    assert.equal((await response.json()).error.code, "model_not_found");
    assert.equal(chat.hits.length, before);
  });

  await t.step("a bad models value: 400 naming the field, nothing changed", async () => {
    const cases: [unknown, string][] = [
      ["gpt-5", "models"],
      [[1], "models[0]"],
      [{ "claude-*": "" }, "models.claude-*"],
    ];
    for (const [models, param] of cases) {
      const { status, body } = await admin("/admin/accounts/api-acct", "PUT", { models });
      assert.equal(status, 400, JSON.stringify(models));
      assert.equal((body.error as { param: string }).param, param);
    }
    const bad = await admin("/admin/accounts", "POST", {
      id: "other",
      platform: "openai",
      baseUrl: chat.url,
      apiKey: "sk-x",
      models: { "gpt-*": 5 },
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.body.error as { param: string }).param, "models.gpt-*");
    const row = (await admin("/admin/accounts/api-acct", "GET")).body;
    assert.deepEqual(row.models, { "gpt-5": "gpt-5-codex", "claude-*": "*" });
  });

  await t.step("PUT replaces models; null, [] and {} clear them", async () => {
    const listed = await admin("/admin/accounts/api-acct", "PUT", { models: ["o3"] });
    assert.deepEqual(listed.body.models, ["o3"]);
    const served = await ask("o3");
    assert.equal(served.status, 200);
    await served.body?.cancel();
    for (const cleared of [null, [], {}]) {
      await admin("/admin/accounts/api-acct", "PUT", { models: ["o3"] });
      const { status, body } = await admin("/admin/accounts/api-acct", "PUT", { models: cleared });
      assert.equal(status, 200, JSON.stringify(cleared));
      assert.equal(body.models, undefined, JSON.stringify(cleared));
      const response = await ask("anything-at-all");
      assert.equal(response.status, 200);
      assert.equal(JSON.parse(chat.hits.at(-1)!.body).model, "anything-at-all");
      await response.body?.cancel();
    }
  });

  await t.step("POST with empty models makes an account that serves any model", async () => {
    for (const [id, models] of [["empty-list", []], ["empty-map", {}], ["null", null]] as const) {
      const { status, body } = await admin("/admin/accounts", "POST", {
        id,
        platform: "openai",
        baseUrl: chat.url,
        apiKey: "sk-x",
        models,
      });
      assert.equal(status, 201, id);
      assert.equal(body.models, undefined, id);
    }
  });
});
