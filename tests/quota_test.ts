import assert from "node:assert/strict";
import { json, startMockUpstream } from "../scripts/support/mock_upstream.ts";
import { upstream } from "./support/upstream.ts";
import {
  adminAccounts,
  callApi,
  configDoc,
  SECRET,
  startGateway,
  tempKvPath,
} from "./support/gateway.ts";
import { bothKvs } from "./support/shared_kv.ts";

bothKvs("quota-aware cooldowns and snapshots", async (kv, t) => {
  const resetAt = Math.floor(Date.now() / 1000) + 5 * 24 * 3600;
  let answer: (id: string) => Response = () => json(200, {});
  const a = startMockUpstream(() => answer("a"));
  const b = startMockUpstream(() => answer("b"));
  const doc = configDoc(
    [
      {
        id: "a",
        platform: "openai",
        baseUrl: a.url,
        apiKey: "sk-a",
        passthrough: true,
        priority: 1,
      },
      {
        id: "b",
        platform: "openai",
        baseUrl: b.url,
        apiKey: "sk-b",
        passthrough: true,
        priority: 2,
      },
    ],
    { root: { failover: { forbiddenStrikes: 2 } } },
  );
  const gw = await startGateway({ config: doc, kvPath: kv.location, secret: SECRET });
  const view = async (id: string) => (await adminAccounts(gw.url)).find((v) => v.id === id)!;
  try {
    await t.step("429 with resets_in_seconds cools until then without a strike", async () => {
      answer = (id) =>
        id === "a"
          ? json(429, {
            error: { type: "usage_limit_reached", message: "limit", resets_in_seconds: 7200 },
          })
          : json(200, { served: id });
      const response = await callApi(gw.url, "/v1/responses", { json: { model: "m" } });
      assert.equal(response.status, 200);
      await response.body?.cancel();
      const row = await view("a");
      assert.equal(row.reason, "quota");
      assert.equal(row.strikes, 0);
      assert.ok(Date.parse(String(row.until)) > Date.now() + 7000_000);
      await gw.gateway.states.reset("a");
    });

    await t.step(
      "successful answers record quota snapshots, shown in /admin/accounts",
      async () => {
        answer = (id) =>
          json(200, { served: id }, {
            "x-codex-primary-used-percent": id === "a" ? "92" : "10",
            "x-codex-primary-reset-after-seconds": "600",
            "x-codex-secondary-used-percent": "40",
            "x-codex-secondary-reset-at": String(resetAt),
          });
        const response = await callApi(gw.url, "/v1/responses", { json: { model: "m" } });
        assert.equal(response.headers.get("x-switchyard-account"), "a");
        await response.body?.cancel();
        const quota = (await view("a")).quota as {
          windows: { name: string; usedPercent: number }[];
        };
        assert.deepEqual(
          quota.windows.map((w) => [w.name, w.usedPercent]),
          [["codex-primary", 92], ["codex-secondary", 40]],
        );
        await gw.close();
        // Another gateway on the same KV sees the snapshot too (it was written through).
        const other = await startGateway({ config: doc, kvPath: kv.location, secret: SECRET });
        try {
          assert.ok((await adminAccounts(other.url)).find((v) => v.id === "a")?.quota);
        } finally {
          await other.close();
        }
      },
    );
  } finally {
    await gw.close().catch(() => {});
    await a.close();
    await b.close();
  }
});

Deno.test("an exhausted weekly quota (403 + x-codex headers) cools until the reset, no strike; then it is spent", async () => {
  const resetAt = Math.floor(Date.now() / 1000) + 5 * 24 * 3600;
  await using a = upstream(() =>
    json(403, { error: { message: "usage limit reached", type: "forbidden_error" } }, {
      "x-codex-secondary-used-percent": "100",
      "x-codex-secondary-reset-at": String(resetAt),
    })
  );
  await using b = upstream(() => json(200, { served: "b" }));
  await using gw = await startGateway({
    accounts: [
      { id: "a", upstream: a.url, passthrough: true, priority: 1 },
      { id: "b", upstream: b.url, passthrough: true, priority: 2 },
    ],
    failover: { forbiddenStrikes: 2 },
  });
  const view = async (id: string) => (await adminAccounts(gw.url)).find((v) => v.id === id)!;
  for (let i = 0; i < 3; i++) {
    const response = await callApi(gw.url, "/v1/responses", { json: { model: "m" } });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.equal(a.hits.length, 1, "tried once: afterwards its spent window puts it after b");
    const row = await view("a");
    if (i === 0) {
      assert.equal(row.state, "cooldown", "never disabled for an exhausted quota");
      assert.equal(row.until, new Date(resetAt * 1000).toISOString());
    } else {
      assert.equal(row.state, "active", "reset by hand, not cooling");
      assert.equal(row.spent, true, "but its weekly window is spent");
      assert.equal(row.spentUntil, new Date(resetAt * 1000).toISOString());
    }
    assert.equal(row.strikes, 0);
    await gw.gateway.states.reset("a");
  }
});

Deno.test("avoidAbovePercent prefers accounts below the mark", async () => {
  const tmp = await tempKvPath();
  const headersFor = (used: string) => ({
    "anthropic-ratelimit-unified-5h-utilization": used,
    "anthropic-ratelimit-unified-5h-reset": String(Math.floor(Date.now() / 1000) + 3600),
    "anthropic-ratelimit-unified-status": "allowed",
  });
  const a = startMockUpstream(() => json(200, { served: "a" }, headersFor("0.95")));
  const b = startMockUpstream(() => json(200, { served: "b" }, headersFor("0.30")));
  const doc = configDoc(
    [
      { id: "a", platform: "anthropic", baseUrl: a.url, apiKey: "sk-a", priority: 1 },
      { id: "b", platform: "anthropic", baseUrl: b.url, apiKey: "sk-b", priority: 2 },
    ],
    { group: { avoidAbovePercent: 80 } },
  );
  const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
  try {
    const served = async () => {
      const response = await callApi(gw.url, "/v1/messages", {
        json: {
          model: "m",
          max_tokens: 1,
          messages: [],
        },
      });
      await response.body?.cancel();
      return response.headers.get("x-switchyard-account");
    };
    assert.equal(await served(), "a", "priority first while nothing is known");
    assert.equal(await served(), "b", "a reported 95% used: b goes first");
    assert.equal(await served(), "b");
  } finally {
    await gw.close();
    await a.close();
    await b.close();
    await tmp.cleanup();
  }
});
