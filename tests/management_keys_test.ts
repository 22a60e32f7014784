import assert from "node:assert/strict";
import {
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../scripts/support/mock_upstream.ts";
import { callApi, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { bothKvs, seenOnRemote } from "./support/shared_kv.ts";

const BASE = {
  accounts: [{
    id: "oa-1",
    platform: "openai",
    baseUrl: "http://127.0.0.1:9",
    apiKey: "sk-upstream-1",
  }],
  groups: [{ id: "team", accounts: ["oa-1"] }],
  keys: [{ id: "seed", key: "seed-key-0123456789", group: "team" }],
};

Deno.test("client keys: create, list, use and revoke over the management API", async (t) => {
  const upstream = startMockUpstream(() => mockJson(200, chatCompletion("hi")));
  const config = structuredClone(BASE);
  config.accounts[0].baseUrl = upstream.url;
  const h = await startGateway({ secret: SECRET, usageFlushMs: 60_000, config });
  try {
    let secret = "";
    await t.step("POST /admin/keys returns the key once", async () => {
      const response = await h.admin("/admin/keys", {
        method: "POST",
        json: { id: "bob", group: "team", rpm: 5 },
      });
      assert.equal(response.status, 201);
      const body = await readJson(response);
      secret = body.key as string;
      assert.match(secret, /^sy-[A-Za-z0-9_-]{43,}$/);
      assert.equal(body.id, "bob");
      assert.equal(body.rpm, 5);
    });

    await t.step("only the SHA-256 of the key is stored", async () => {
      const entry = await h.kv.get<Record<string, unknown>>(["switchyard", "dir", "key", "bob"]);
      const text = JSON.stringify(entry.value);
      assert.ok(!text.includes(secret));
      const digest = Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret))),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      assert.equal(entry.value?.digest, digest);
    });

    await t.step("GET /admin/keys lists keys with their source and no secrets", async () => {
      const response = await h.admin("/admin/keys");
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.ok(!text.includes(secret));
      assert.ok(!text.includes("seed-key-0123456789"));
      const keys = JSON.parse(text) as { id: string; source: string }[];
      assert.deepEqual(keys.map((k) => [k.id, k.source]).sort(), [["bob", "api"], [
        "seed",
        "config",
      ]]);
    });

    await t.step("the new key works, and the seed key too", async () => {
      const ok = await callApi(h.url, "/v1/chat/completions", {
        key: secret,
        json: { model: "m", messages: [] },
      });
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
      const seed = await callApi(h.url, "/v1/chat/completions", {
        key: "seed-key-0123456789",
        json: {
          model: "m",
        },
      });
      assert.equal(seed.status, 200);
      await seed.body?.cancel();
    });

    await t.step("a duplicate id is a 409, bad input a 400 naming the field", async () => {
      const duplicate = await h.admin("/admin/keys", {
        method: "POST",
        json: { id: "bob", group: "team" },
      });
      assert.equal(duplicate.status, 409);
      await duplicate.body?.cancel();
      const cases: [unknown, string][] = [
        [{ id: "x", group: "nope" }, "group"],
        [{ id: "bad id!", group: "team" }, "id"],
        [{ id: "x", group: "team", rpm: 0 }, "rpm"],
        [{ id: "x", group: "team", dailyTokens: "many" }, "dailyTokens"],
        [{ id: "x", group: "team", concurency: 2 }, "concurency"],
        [[1, 2], "body"],
        ["{not json", "body"],
      ];
      for (const [input, field] of cases) {
        const response = await h.admin("/admin/keys", { method: "POST", json: input });
        assert.equal(response.status, 400, JSON.stringify(input));
        const body = await readJson<{ error: { param: string; message: string } }>(response);
        assert.equal(body.error.param, field);
        assert.match(body.error.message, new RegExp(field.replace(/[.[\]]/g, "\\$&")));
      }
    });

    await t.step("DELETE revokes: the next request gets 401 with no upstream call", async () => {
      const before = upstream.hits.length;
      const revoke = await h.admin("/admin/keys/bob", { method: "DELETE" });
      assert.equal(revoke.status, 200);
      await revoke.body?.cancel();
      const refused = await callApi(h.url, "/v1/chat/completions", {
        key: secret,
        json: { model: "m" },
      });
      assert.equal(refused.status, 401);
      assert.equal(
        (await readJson<{ error: { type: string } }>(refused)).error.type,
        "invalid_request_error",
      );
      assert.equal(upstream.hits.length, before);
      const missing = await h.admin("/admin/keys/bob", { method: "DELETE" });
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
    });

    await t.step("a config key can be revoked too, and stays revoked", async () => {
      const revoke = await h.admin("/admin/keys/seed", { method: "DELETE" });
      assert.equal(revoke.status, 200);
      await revoke.body?.cancel();
      const refused = await callApi(h.url, "/v1/chat/completions", {
        key: "seed-key-0123456789",
        json: {},
      });
      assert.equal(refused.status, 401);
      await refused.body?.cancel();
      const list = await readJson<{ id: string }[]>(await h.admin("/admin/keys"));
      assert.deepEqual(list.map((k) => k.id), []);
    });

    await t.step("the management API needs the admin token", async () => {
      const response = await fetch(`${h.url}/admin/keys`, {
        headers: { authorization: "Bearer nope" },
      });
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });
  } finally {
    await h.close();
    await upstream.close();
  }
});

bothKvs("a key revoked in one process is refused by another process's next request", async (kv) => {
  const upstream = startMockUpstream(() => mockJson(200, chatCompletion("hi")));
  const config = structuredClone(BASE);
  config.accounts[0].baseUrl = upstream.url;
  const one = await startGateway({
    kvPath: kv.location,
    secret: SECRET,
    usageFlushMs: 60_000,
    config,
  });
  const two = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config,
    kvPath: one.kvPath,
  });
  try {
    const created = await readJson(
      await one.admin("/admin/keys", { method: "POST", json: { id: "carol", group: "team" } }),
    );
    const secret = created.key as string;
    // The other process learns about the new key on its next request...
    const ok = await callApi(two.url, "/v1/chat/completions", {
      key: secret,
      json: { model: "m" },
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    // ...and about its revocation.
    const revoke = await one.admin("/admin/keys/carol", { method: "DELETE" });
    await revoke.body?.cancel();
    await seenOnRemote(kv, async () => {
      const keys: { id: string }[] = await readJson(await two.admin("/admin/keys"));
      return !keys.some((key) => key.id === "carol");
    }, "the other process's watch delivering the revocation");
    const refused = await callApi(two.url, "/v1/chat/completions", {
      key: secret,
      json: { model: "m" },
    });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
  } finally {
    await two.close();
    await one.close();
    await upstream.close();
  }
});

Deno.test("without an admin token the management API answers 404", async () => {
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: structuredClone(BASE),
    adminToken: null,
  });
  try {
    const response = await fetch(`${h.url}/admin/keys`, { method: "POST", body: "{}" });
    assert.equal(response.status, 404);
    await response.body?.cancel();
  } finally {
    await h.close();
  }
});

Deno.test("a malformed percent-escape in an admin path is a 400, not a 500", async () => {
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: structuredClone(BASE),
  });
  try {
    const cases: [string, string][] = [
      ["GET", "/admin/keys/%ZZ"],
      ["DELETE", "/admin/keys/%ZZ"],
      ["PUT", "/admin/groups/%E0%A4%A"],
      ["GET", "/admin/accounts/%ZZ"],
      ["POST", "/admin/accounts/%ZZ/reset"],
    ];
    for (const [method, path] of cases) {
      const response = await h.admin(path, {
        method,
        json: method === "PUT" ? { accounts: [] } : undefined,
      });
      assert.equal(response.status, 400, `${method} ${path}`);
      const body = await readJson<{ error: { message: string; type: string } }>(response);
      assert.equal(body.error.type, "invalid_request_error");
      assert.match(body.error.message, /malformed percent-escape/);
    }
  } finally {
    await h.close();
  }
});
