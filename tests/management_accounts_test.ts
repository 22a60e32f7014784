import assert from "node:assert/strict";
import {
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../scripts/support/mock_upstream.ts";
import { callApi, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { bothKvs } from "./support/shared_kv.ts";

const CLIENT = "client-key-0123456789";

Deno.test("accounts and groups: config seed, API changes win, secrets sealed", async (t) => {
  const upstream = startMockUpstream((request) =>
    mockJson(200, chatCompletion(request.headers.get("authorization") ?? ""))
  );
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      accounts: [{ id: "seeded", platform: "openai", baseUrl: upstream.url, apiKey: "sk-seeded" }],
      groups: [{ id: "team", accounts: ["seeded"] }],
      keys: [{ id: "alice", key: CLIENT, group: "team" }],
    },
  });
  const ask = async () => {
    const response = await callApi(h.url, "/v1/chat/completions", {
      key: CLIENT,
      json: { model: "m" },
    });
    const body = await readJson<{ choices: { message: { content: string } }[] }>(response);
    return [response.headers.get("x-switchyard-account"), body.choices[0].message.content];
  };
  try {
    await t.step(
      "POST /admin/accounts stores the account sealed and never returns the secret",
      async () => {
        const response = await h.admin("/admin/accounts", {
          method: "POST",
          json: {
            id: "added",
            platform: "openai",
            baseUrl: upstream.url,
            apiKey: "sk-added-secret",
            priority: 1,
          },
        });
        assert.equal(response.status, 201);
        const text = await response.text();
        assert.ok(!text.includes("sk-added-secret"));
        const row = JSON.parse(text);
        assert.equal(row.source, "api");
        assert.equal(row.state, "active");
        assert.equal(row.priority, 1);
        const stored = await h.kv.get(["switchyard", "dir", "account", "added"]);
        assert.ok(stored.value);
        assert.ok(!JSON.stringify(stored.value).includes("sk-added-secret"));
      },
    );

    await t.step("GET /admin/accounts shows where each entry came from", async () => {
      const response = await h.admin("/admin/accounts");
      const text = await response.text();
      assert.ok(!text.includes("sk-"));
      const rows = JSON.parse(text) as { id: string; source: string; state: string }[];
      assert.deepEqual(rows.map((r) => [r.id, r.source, r.state]), [
        ["seeded", "config", "active"],
        ["added", "api", "active"],
      ]);
    });

    await t.step(
      "PUT /admin/groups changes membership; requests use the new account's secret",
      async () => {
        const response = await h.admin("/admin/groups/team", {
          method: "PUT",
          json: {
            accounts: ["seeded", "added"],
          },
        });
        assert.equal(response.status, 200);
        assert.equal((await readJson(response)).source, "api");
        assert.deepEqual(await ask(), ["added", "Bearer sk-added-secret"]);
      },
    );

    await t.step(
      "PUT /admin/accounts/:id keeps fields left out, including the secret",
      async () => {
        const response = await h.admin("/admin/accounts/added", {
          method: "PUT",
          json: { priority: 200 },
        });
        assert.equal(response.status, 200);
        assert.equal((await readJson(response)).priority, 200);
        assert.deepEqual(await ask(), ["seeded", "Bearer sk-seeded"]);
        const back = await h.admin("/admin/accounts/added", {
          method: "PUT",
          json: { priority: 1 },
        });
        await back.body?.cancel();
        assert.deepEqual(await ask(), ["added", "Bearer sk-added-secret"]);
      },
    );

    await t.step("a config account overridden through the API reports source api", async () => {
      const response = await h.admin("/admin/accounts/seeded", {
        method: "PUT",
        json: {
          apiKey: "sk-rotated",
          priority: 0,
        },
      });
      assert.equal(response.status, 200);
      const row = await readJson(response);
      assert.equal(row.source, "api");
      assert.equal(row.apiKey, undefined);
      assert.deepEqual(await ask(), ["seeded", "Bearer sk-rotated"]);
    });

    await t.step("bad input gets a 400 naming the field", async () => {
      const cases: [string, string, unknown, string][] = [
        ["POST", "/admin/accounts", {
          id: "x",
          platform: "gemini",
          baseUrl: upstream.url,
          apiKey: "k",
        }, "platform"],
        ["POST", "/admin/accounts", {
          id: "x",
          platform: "openai",
          baseUrl: "ftp://x",
          apiKey: "k",
        }, "baseUrl"],
        [
          "POST",
          "/admin/accounts",
          { id: "x", platform: "openai", baseUrl: upstream.url },
          "apiKey",
        ],
        ["POST", "/admin/accounts", {
          id: "x",
          platform: "openai",
          baseUrl: upstream.url,
          apiKey: "k",
          priority: "high",
        }, "priority"],
        ["PUT", "/admin/accounts/added", { id: "other" }, "id"],
        ["POST", "/admin/groups", { id: "g2", accounts: ["added", "ghost"] }, "accounts[1]"],
        ["POST", "/admin/groups", { id: "g2" }, "accounts"],
        ["PUT", "/admin/groups/team", { accounts: "added" }, "accounts"],
      ];
      for (const [method, path, body, field] of cases) {
        const response = await h.admin(path, { method, json: body });
        assert.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
        const error =
          (await readJson<{ error: { param: string; message: string } }>(response)).error;
        assert.equal(error.param, field);
        assert.ok(error.message.startsWith(field), error.message);
      }
    });

    await t.step("deleting an account a group uses is a 409; groups used by keys too", async () => {
      const account = await h.admin("/admin/accounts/added", { method: "DELETE" });
      assert.equal(account.status, 409);
      assert.match(
        (await readJson<{ error: { message: string } }>(account)).error.message,
        /group "team"/,
      );
      const group = await h.admin("/admin/groups/team", { method: "DELETE" });
      assert.equal(group.status, 409);
      await group.body?.cancel();
    });

    await t.step("groups: POST, GET with source, DELETE", async () => {
      const created = await h.admin("/admin/groups", {
        method: "POST",
        json: { id: "spare", accounts: ["added"] },
      });
      assert.equal(created.status, 201);
      await created.body?.cancel();
      const duplicate = await h.admin("/admin/groups", {
        method: "POST",
        json: { id: "spare", accounts: [] },
      });
      assert.equal(duplicate.status, 409);
      await duplicate.body?.cancel();
      const list = await readJson<{ id: string; source: string }[]>(
        await h.admin("/admin/groups"),
      );
      assert.deepEqual(list.map((g) => [g.id, g.source]), [["team", "api"], ["spare", "api"]]);
      const removed = await h.admin("/admin/groups/spare", { method: "DELETE" });
      assert.equal(removed.status, 200);
      await removed.body?.cancel();
    });

    await t.step("DELETE removes accounts, config-seeded ones included", async () => {
      const regroup = await h.admin("/admin/groups/team", {
        method: "PUT",
        json: { accounts: ["added"] },
      });
      await regroup.body?.cancel();
      const removed = await h.admin("/admin/accounts/seeded", { method: "DELETE" });
      assert.equal(removed.status, 200);
      await removed.body?.cancel();
      const rows = await readJson<{ id: string }[]>(await h.admin("/admin/accounts"));
      assert.deepEqual(rows.map((r) => r.id), ["added"]);
      const gone = await h.admin("/admin/accounts/seeded");
      assert.equal(gone.status, 404);
      await gone.body?.cancel();
      assert.deepEqual(await ask(), ["added", "Bearer sk-added-secret"]);
    });
  } finally {
    await h.close();
    await upstream.close();
  }
});

bothKvs("API changes survive a restart and win over the config seed", async (kv) => {
  const config = {
    accounts: [{ id: "seeded", platform: "openai", baseUrl: "http://127.0.0.1:9", apiKey: "sk-a" }],
    groups: [{ id: "team", accounts: ["seeded"] }],
    keys: [],
  };
  const first = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config,
    kvPath: kv.location,
  });
  const put = await first.admin("/admin/accounts/seeded", { method: "PUT", json: { priority: 7 } });
  await put.body?.cancel();
  const second = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config,
    kvPath: kv.location,
  });
  try {
    const rows = await readJson<{ id: string; priority: number; source: string }[]>(
      await second.admin("/admin/accounts"),
    );
    assert.deepEqual(rows.map((r) => [r.id, r.priority, r.source]), [["seeded", 7, "api"]]);
  } finally {
    await second.close();
    await first.close();
  }
});

Deno.test("without SWITCHYARD_SECRET accounts cannot be stored through the API", async () => {
  const h = await startGateway({ usageFlushMs: 60_000, config: {} });
  try {
    const response = await h.admin("/admin/accounts", {
      method: "POST",
      json: {
        id: "x",
        platform: "openai",
        baseUrl: "http://127.0.0.1:9",
        apiKey: "sk-x",
      },
    });
    assert.equal(response.status, 503);
    assert.match(
      (await readJson<{ error: { message: string } }>(response)).error.message,
      /SWITCHYARD_SECRET/,
    );
    assert.equal((await h.kv.get(["switchyard", "dir", "account", "x"])).value, null);
  } finally {
    await h.close();
  }
});
