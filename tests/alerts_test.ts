/**
 * Alerts over real sockets: mock upstreams drive account and group changes,
 * a webhook receiver on loopback checks every signature, and two gateways
 * on one KV file send one webhook per episode.
 */

import assert from "node:assert/strict";
import { eventually } from "./support/async.ts";
import {
  chatRequest,
  readJson,
  SECRET,
  startGateway,
  tempKvPath,
  type TestGateway,
} from "./support/gateway.ts";
import { chatCompletion, json, openaiError, upstream } from "./support/upstream.ts";
import { webhookReceiver } from "./support/webhook.ts";
import { expiredCodexAccount, refusedRefresh } from "./support/protocol_mocks.ts";
import { bothKvs } from "./support/shared_kv.ts";

const HOOK_SECRET = "whsec-test-0123456789";
const FAST = { alertRetryDelaysMs: [20, 20, 20], healthCheckTickMs: 50 };
const KEY = { id: "alice", key: "sk-client-alice-0123456789", group: "team" };

function account(id: string, url: string, extra: Record<string, unknown> = {}) {
  return { id, platform: "openai", baseUrl: `${url}/v1`, apiKey: `sk-${id}`, ...extra };
}

async function call(gateway: TestGateway): Promise<number> {
  const response = await gateway.api("/v1/chat/completions", { json: chatRequest() });
  await response.body?.cancel();
  return response.status;
}

Deno.test("account.disabled, then account.recovered, then a new episode; each signed", async () => {
  let revoked = true;
  await using up = upstream(() =>
    revoked ? json(401, openaiError("bad key", "invalid_api_key")) : json(200, chatCompletion("ok"))
  );
  await using hook = webhookReceiver(HOOK_SECRET);
  await using gateway = await startGateway({
    tuning: FAST,
    config: {
      accounts: [account("a", up.url)],
      groups: [{ id: "team", accounts: ["a"] }],
      keys: [KEY],
      alerts: { webhooks: [{ url: hook.url, secret: HOOK_SECRET }] },
    },
  });
  assert.equal(await call(gateway), 401);
  await gateway.gateway.settled();
  const disabled = hook.received.filter((r) => r.event === "account.disabled");
  assert.equal(disabled.length, 1, JSON.stringify(hook.received));
  assert.ok(disabled[0].signed);
  const body = disabled[0].body;
  assert.equal(body.event, "account.disabled");
  assert.equal(body.account, "a");
  assert.equal(typeof body.at, "string");
  assert.match((body.detail as { message: string }).message, /upstream answered 401/);
  // The whole pool is gone: the group is exhausted too.
  assert.equal(hook.received.filter((r) => r.event === "group.exhausted").length, 1);

  revoked = false;
  const reset = await gateway.admin("/admin/accounts/a/reset", { method: "POST" });
  await reset.body?.cancel();
  await gateway.gateway.settled();
  const recovered = hook.received.filter((r) => r.event === "account.recovered");
  assert.equal(recovered.length, 1);
  assert.equal((recovered[0].body.detail as { how: string }).how, "reset");

  revoked = true;
  assert.equal(await call(gateway), 401);
  await gateway.gateway.settled();
  assert.equal(hook.received.filter((r) => r.event === "account.disabled").length, 2);
  assert.ok(hook.received.every((r) => r.signed));
});

Deno.test("a failing receiver is retried with backoff; the delivery log shows it", async () => {
  await using up = upstream(() => json(401, openaiError("bad key")));
  await using hook = webhookReceiver(HOOK_SECRET, 2);
  await using gateway = await startGateway({
    tuning: FAST,
    secret: SECRET,
    config: {
      accounts: [account("a", up.url)],
      groups: [{ id: "team", accounts: ["a"] }],
      keys: [KEY],
      alerts: { webhooks: [{ url: hook.url, secret: HOOK_SECRET, events: ["account.disabled"] }] },
    },
  });
  await call(gateway);
  await gateway.gateway.settled();
  assert.equal(hook.attempts, 3);
  assert.equal(hook.received.length, 1, "group.exhausted is not among its events");
  const view = await readJson<{ deliveries: Record<string, unknown>[] }>(
    await gateway.admin("/admin/alerts"),
  );
  assert.deepEqual(
    view.deliveries.map(({ webhook, event, ok, status, attempts }) => ({
      webhook,
      event,
      ok,
      status,
      attempts,
    })),
    [{ webhook: "webhook-1", event: "account.disabled", ok: true, status: 204, attempts: 3 }],
  );
});

Deno.test("account.quota once per window; slack format posts text", async () => {
  await using up = upstream(() =>
    json(200, chatCompletion("ok"), {
      "x-codex-primary-used-percent": "95",
      "x-codex-primary-reset-after-seconds": "3600",
      "x-codex-secondary-used-percent": "40",
    })
  );
  await using hook = webhookReceiver(HOOK_SECRET);
  await using gateway = await startGateway({
    tuning: FAST,
    config: {
      accounts: [account("a", up.url)],
      groups: [{ id: "team", accounts: ["a"] }],
      keys: [KEY],
      alerts: { webhooks: [{ url: hook.url, secret: HOOK_SECRET, format: "slack" }] },
    },
  });
  for (let i = 0; i < 3; i++) assert.equal(await call(gateway), 200);
  await gateway.gateway.settled();
  assert.equal(hook.received.length, 1);
  assert.equal(hook.received[0].event, "account.quota");
  assert.ok(hook.received[0].signed);
  const text = hook.received[0].body.text as string;
  assert.match(text, /account\.quota.*`a`.*codex-primary window at 95% used/);
});

Deno.test("account.reauth when an OAuth refresh is refused", async () => {
  await using tokens = upstream(refusedRefresh);
  await using up = upstream(() => json(200, chatCompletion("never")));
  await using hook = webhookReceiver(HOOK_SECRET);
  await using gateway = await startGateway({
    tuning: FAST,
    secret: SECRET,
    config: {
      accounts: [
        expiredCodexAccount("codex", `${up.url}/backend-api/codex`, `${tokens.url}/oauth/token`),
      ],
      groups: [{ id: "team", accounts: ["codex"] }],
      keys: [KEY],
      alerts: { webhooks: [{ url: hook.url, secret: HOOK_SECRET, events: ["account.reauth"] }] },
    },
  });
  const response = await gateway.api("/v1/responses", { json: { model: "gpt-5", input: "hi" } });
  await response.body?.cancel();
  await gateway.gateway.settled();
  assert.equal(hook.received.length, 1, JSON.stringify(hook.received));
  assert.equal(hook.received[0].body.account, "codex");
  assert.match((hook.received[0].body.detail as { message: string }).message, /sign/);
});

Deno.test("GET/PUT /admin/alerts: secrets and URLs write-only; Send test; clear errors", async () => {
  await using hook = webhookReceiver(HOOK_SECRET);
  await using gateway = await startGateway({ tuning: FAST, secret: SECRET, accounts: [] });
  const put = await gateway.admin("/admin/alerts", {
    method: "PUT",
    json: { webhooks: [{ id: "ops", url: hook.url, secret: HOOK_SECRET }], quotaPercent: 80 },
  });
  assert.equal(put.status, 200);
  const text = await put.text();
  assert.ok(!text.includes(HOOK_SECRET) && !text.includes("T0KEN"), text);
  const shown = JSON.parse(text);
  assert.deepEqual(shown.webhooks, [{
    id: "ops",
    url: new URL(hook.url).origin + "/…",
    format: "json",
    hasSecret: true,
  }]);
  assert.equal(shown.quotaPercent, 80);

  // By id alone: the stored URL and secret stay.
  const again = await gateway.admin("/admin/alerts", {
    method: "PUT",
    json: { webhooks: [{ id: "ops", format: "slack" }] },
  });
  assert.equal(again.status, 200);
  await again.body?.cancel();
  const test = await gateway.admin("/admin/alerts/test", { method: "POST" });
  assert.equal(test.status, 200);
  const result = await test.json();
  assert.equal(result.deliveries[0].ok, true);
  assert.equal(hook.received.length, 1);
  assert.equal(hook.received[0].event, "test");
  assert.ok(hook.received[0].signed, "the stored secret still signs");
  assert.match(hook.received[0].body.text as string, /test/);

  const badEvent = await gateway.admin("/admin/alerts", {
    method: "PUT",
    json: { webhooks: [{ url: hook.url, events: ["account.gone"] }] },
  });
  assert.equal(badEvent.status, 400);
  assert.equal((await badEvent.json()).error.param, "webhooks[0].events[0]");
  const badUrl = await gateway.admin("/admin/alerts", {
    method: "PUT",
    json: { webhooks: [{ url: "ftp://x" }] },
  });
  assert.equal(badUrl.status, 400);
  await badUrl.body?.cancel();
  const wrong = await gateway.admin("/admin/alerts", { method: "DELETE" });
  assert.equal(wrong.status, 405);
  await wrong.body?.cancel();
});

/** A webhook that accepts connections and never answers; counts them. */
function hangingReceiver(): { url: string; connections: number } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open: Deno.Conn[] = [];
  const state = { connections: 0 };
  (async () => {
    for await (const conn of listener) {
      state.connections++;
      open.push(conn);
      conn.readable.pipeTo(new WritableStream()).catch(() => {});
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}/hook/T0KEN`,
    get connections() {
      return state.connections;
    },
    [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed by the client */ }
      }
      return Promise.resolve();
    },
  };
}

Deno.test("a webhook that hangs: each attempt is cut at the timeout; Send test tries once", async () => {
  await using hook = hangingReceiver();
  await using up = upstream(() => json(401, openaiError("bad key")));
  await using gateway = await startGateway({
    tuning: { ...FAST, alertAttemptTimeoutMs: 150 },
    secret: SECRET,
    config: {
      accounts: [account("a", up.url)],
      groups: [{ id: "team", accounts: ["a"] }],
      keys: [KEY],
      alerts: { webhooks: [{ id: "slow", url: hook.url, events: ["account.disabled"] }] },
    },
  });

  // The console's Send test answers after one attempt, not after every retry.
  const test = await gateway.admin("/admin/alerts/test", { method: "POST" });
  assert.equal(test.status, 200);
  const { deliveries } = await test.json();
  assert.deepEqual(
    deliveries.map((d: Record<string, unknown>) => [d.webhook, d.ok, d.error, d.attempts]),
    [["slow", false, "timed out", 1]],
  );
  assert.equal(hook.connections, 1);

  // An event's delivery is retried, each attempt cut at the timeout, and then given up.
  assert.equal(await call(gateway), 401);
  await gateway.gateway.settled();
  const view = await readJson<{ deliveries: Record<string, unknown>[] }>(
    await gateway.admin("/admin/alerts"),
  );
  const disabled = view.deliveries.find((d) => d.event === "account.disabled");
  assert.deepEqual([disabled?.ok, disabled?.error, disabled?.attempts], [false, "timed out", 4]);
  assert.equal(hook.connections, 5);
});

Deno.test("shutdown does not wait out a failing webhook's retries; the delivery is recorded", async () => {
  await using up = upstream(() => json(401, openaiError("bad key")));
  await using hook = webhookReceiver(HOOK_SECRET, 100);
  const config = {
    accounts: [account("a", up.url)],
    groups: [{ id: "team", accounts: ["a"] }],
    keys: [KEY],
    alerts: {
      webhooks: [{ id: "down", url: hook.url, secret: HOOK_SECRET, events: ["account.disabled"] }],
    },
  };
  const kv = await tempKvPath();
  const first = await startGateway({
    tuning: { alertRetryDelaysMs: [3_000, 3_000, 3_000] },
    config,
    kvPath: kv.path,
  });
  assert.equal(await call(first), 401);
  await eventually(() => hook.attempts >= 1 || undefined, "the first attempt");
  await first.close();
  // Closed while waiting to retry: no more attempts, and the delivery is in the log.
  assert.equal(hook.attempts, 1);
  const second = await startGateway({ config, kvPath: kv.path });
  const view = await readJson<{ deliveries: Record<string, unknown>[] }>(
    await second.admin("/admin/alerts"),
  );
  const delivery = view.deliveries.find((d) => d.event === "account.disabled");
  assert.deepEqual(
    [delivery?.ok, delivery?.status, delivery?.attempts, delivery?.error],
    [false, 500, 1, "answered 500"],
  );
  await second.close();
  await kv.cleanup();
});

Deno.test("without SWITCHYARD_SECRET webhooks cannot be stored; a test with none is a 400", async () => {
  await using gateway = await startGateway({ accounts: [] });
  const put = await gateway.admin("/admin/alerts", {
    method: "PUT",
    json: { webhooks: [{ url: "http://127.0.0.1:9/x" }] },
  });
  assert.equal(put.status, 503);
  await put.body?.cancel();
  const test = await gateway.admin("/admin/alerts/test", { method: "POST" });
  assert.equal(test.status, 400);
  await test.body?.cancel();
});

bothKvs("two gateways on one KV send one webhook per episode", async (kv) => {
  await using up = upstream(() =>
    json(200, chatCompletion("ok"), {
      "x-codex-primary-used-percent": "97",
      "x-codex-primary-reset-after-seconds": "3600",
    })
  );
  await using broken = upstream(() => json(401, openaiError("bad key")));
  await using hook = webhookReceiver(HOOK_SECRET);
  const config = {
    accounts: [account("a", up.url), account("b", broken.url, { priority: 0 })],
    groups: [{ id: "team", accounts: ["b", "a"] }],
    keys: [KEY],
    alerts: { webhooks: [{ url: hook.url, secret: HOOK_SECRET }] },
  };
  const first = await startGateway({ tuning: FAST, config, kvPath: kv.location });
  const second = await startGateway({ tuning: FAST, config, kvPath: first.kvPath });
  try {
    // Both gateways meet the broken account at once, and both see the quota headers.
    const statuses = await Promise.all([call(first), call(second), call(first), call(second)]);
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    await first.gateway.settled();
    await second.gateway.settled();
    await eventually(() => hook.received.length >= 2 || undefined, "the webhooks");
    const events = hook.received.map((r) => r.event).sort();
    assert.deepEqual(events, ["account.disabled", "account.quota"], JSON.stringify(events));
    assert.ok(hook.received.every((r) => r.signed));
  } finally {
    await second.close();
    await first.close();
  }
});
