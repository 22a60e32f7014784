import assert from "node:assert/strict";
import {
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../scripts/support/mock_upstream.ts";
import { sample } from "./support/prometheus.ts";
import { ADMIN_TOKEN, callApi, SECRET, startGateway } from "./support/gateway.ts";

const FORBIDDEN = { error: { message: "usage limit reached", type: "forbidden_error" } };

Deno.test("GET /metrics reports requests, failovers, account state, latency and tokens", async (t) => {
  const exhausted = startMockUpstream(() => mockJson(403, FORBIDDEN));
  const healthy = startMockUpstream(() => mockJson(200, chatCompletion("hi")));
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    metricsToken: "metrics-token-0123",
    config: {
      accounts: [
        {
          id: "codex-1",
          platform: "openai",
          passthrough: true,
          baseUrl: exhausted.url,
          apiKey: "sk-a",
          priority: 1,
        },
        { id: "oa-1", platform: "openai", baseUrl: healthy.url, apiKey: "sk-b", priority: 2 },
      ],
      groups: [{ id: "team", accounts: ["codex-1", "oa-1"] }],
      keys: [{ id: "alice", key: "alice-key-0123456789", group: "team" }],
    },
  });
  const scrape = async (token = ADMIN_TOKEN) => {
    const response = await fetch(`${h.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    return await response.text();
  };
  try {
    await t.step("needs the admin token or the metrics token", async () => {
      const none = await fetch(`${h.url}/metrics`);
      assert.equal(none.status, 401);
      await none.body?.cancel();
      const wrong = await fetch(`${h.url}/metrics`, { headers: { authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();
      await scrape("metrics-token-0123");
      const admin = await fetch(`${h.url}/admin/accounts`, {
        headers: { authorization: "Bearer metrics-token-0123" },
      });
      assert.equal(admin.status, 401, "the metrics token must not open the admin API");
      await admin.body?.cancel();
    });

    let before = "";
    await t.step("before any traffic every account is active", async () => {
      before = await scrape();
      assert.equal(
        sample(before, "switchyard_account_state", { account: "codex-1", state: "active" }),
        1,
      );
      assert.equal(
        sample(before, "switchyard_account_state", { account: "codex-1", state: "cooldown" }),
        0,
      );
      assert.equal(
        sample(before, "switchyard_failovers_total", { reason: "forbidden" }),
        undefined,
      );
    });

    await t.step("a request that fails over on the 403 changes the metrics", async () => {
      const response = await callApi(h.url, "/v1/chat/completions", {
        key: "alice-key-0123456789",
        json: {
          model: "m",
        },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
      await response.text();
      const after = await scrape();
      assert.equal(sample(after, "switchyard_failovers_total", { reason: "forbidden" }), 1);
      assert.equal(
        sample(after, "switchyard_account_state", { account: "codex-1", state: "cooldown" }),
        1,
      );
      assert.equal(
        sample(after, "switchyard_account_state", { account: "codex-1", state: "active" }),
        0,
      );
      assert.equal(sample(after, "switchyard_account_strikes", { account: "codex-1" }), 1);
      assert.ok(sample(after, "switchyard_account_cooldown_seconds", { account: "codex-1" })! > 0);
      assert.equal(
        sample(after, "switchyard_requests_total", {
          surface: "openai",
          status: "200",
          outcome: "success",
        }),
        1,
      );
      assert.equal(
        sample(after, "switchyard_upstream_latency_seconds_count", { account: "codex-1" }),
        1,
      );
      assert.equal(
        sample(after, "switchyard_upstream_latency_seconds_count", { account: "oa-1" }),
        1,
      );
      assert.equal(
        sample(after, "switchyard_time_to_first_byte_seconds_count", { surface: "openai" }),
        1,
      );
      assert.equal(sample(after, "switchyard_tokens_total", { key: "alice", type: "input" }), 5);
      assert.equal(sample(after, "switchyard_tokens_total", { key: "alice", type: "output" }), 7);
    });

    await t.step("refused requests are counted by outcome", async () => {
      const response = await callApi(h.url, "/v1/chat/completions", {
        key: "wrong-key-0123456789",
        json: {},
      });
      assert.equal(response.status, 401);
      await response.body?.cancel();
      const text = await scrape();
      assert.equal(
        sample(text, "switchyard_requests_total", {
          surface: "openai",
          status: "401",
          outcome: "unauthorized",
        }),
        1,
      );
    });
  } finally {
    await h.close();
    await exhausted.close();
    await healthy.close();
  }
});

Deno.test("GET /metrics is 404 when no admin or metrics token is configured", async () => {
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {},
    adminToken: null,
  });
  try {
    const response = await fetch(`${h.url}/metrics`);
    assert.equal(response.status, 404);
    await response.body?.cancel();
  } finally {
    await h.close();
  }
});
