/**
 * Scheduled health checks (`healthChecks` on a group or an account) over
 * real sockets: a disabled account that passes its check is back in service,
 * the result shows in the console snapshot and the metrics, and two
 * gateways on one KV file send one check per interval between them. A
 * failing check does what a request would do for good (a revoked key
 * disables, a refused OAuth refresh needs signing in again), so the alerts
 * fire before any client is refused; a transient failure changes nothing.
 */

import assert from "node:assert/strict";
import {
  ADMIN_TOKEN,
  chatRequest,
  readJson,
  SECRET,
  startGateway,
  type TestGateway,
} from "./support/gateway.ts";
import { eventually } from "./support/async.ts";
import { chatCompletion, json, openaiError, refusedUrl, upstream } from "./support/upstream.ts";
import { bothKvs } from "./support/shared_kv.ts";
import { webhookReceiver } from "./support/webhook.ts";
import { expiredCodexAccount, refusedRefresh } from "./support/protocol_mocks.ts";

const FAST = { healthCheckTickMs: 50 };
const HOOK_SECRET = "whsec-checks-0123456789";

/** Account `a`, an OpenAI key at `baseUrl`, in a group that checks it every second; alerts to `webhooks`. */
function checkedEverySecond(baseUrl: string, webhooks: Record<string, unknown>[] = []) {
  return {
    accounts: [{ id: "a", platform: "openai", baseUrl: `${baseUrl}/v1`, apiKey: "sk-a" }],
    groups: [{ id: "team", accounts: ["a"], healthChecks: { everySeconds: 1 } }],
    keys: [],
    ...(webhooks.length > 0 ? { alerts: { webhooks } } : {}),
  };
}

/** An account's last test, as the console's snapshot shows it. */
async function lastTest(
  gateway: TestGateway,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const snapshot = await readJson<
    { accounts: { id: string; lastTest?: Record<string, unknown> }[] }
  >(
    await gateway.admin("/admin/dashboard"),
  );
  return snapshot.accounts.find((row) => row.id === id)?.lastTest;
}

Deno.test("a scheduled check recovers a disabled account that passes and records it", async () => {
  let revoked = true;
  await using up = upstream(() =>
    revoked
      ? json(401, openaiError("bad key", "invalid_api_key"))
      : json(200, chatCompletion("back"))
  );
  await using gateway = await startGateway({
    tuning: FAST,
    config: {
      accounts: [{ id: "a", platform: "openai", baseUrl: `${up.url}/v1`, apiKey: "sk-a" }],
      groups: [{ id: "team", accounts: ["a"], healthChecks: { everySeconds: 1, model: "gpt-hc" } }],
      keys: [{ id: "alice", key: "sk-client-alice-0123456789", group: "team" }],
    },
  });
  const refused = await gateway.api("/v1/chat/completions", { json: chatRequest() });
  await refused.body?.cancel();
  await eventually(async () => (await gateway.account("a")).state === "disabled" || undefined);

  revoked = false;
  await eventually(
    async () => (await gateway.account("a")).state === "active" || undefined,
    "the scheduled check to recover the account",
    5_000,
  );
  const checked = up.hits.filter((hit) => JSON.parse(hit.body).model === "gpt-hc");
  assert.ok(checked.length >= 1, "the check used its configured model");

  const snapshot = await readJson<
    { accounts: { id: string; lastTest?: Record<string, unknown> }[] }
  >(
    await gateway.admin("/admin/dashboard"),
  );
  const last = snapshot.accounts.find((row) => row.id === "a")?.lastTest;
  assert.equal(last?.source, "scheduled");
  assert.equal(last?.ok, true);
  assert.equal(last?.model, "gpt-hc");

  const metrics = await (await fetch(`${gateway.url}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })).text();
  assert.match(
    metrics,
    /switchyard_account_tests_total\{account="a",source="scheduled",result="pass"\} [1-9]/,
  );
});

Deno.test("recover: false on an account keeps a passing disabled account disabled", async () => {
  let revoked = true;
  await using up = upstream(() =>
    revoked ? json(401, openaiError("bad key")) : json(200, chatCompletion("ok"))
  );
  await using gateway = await startGateway({
    tuning: FAST,
    config: {
      accounts: [{
        id: "a",
        platform: "openai",
        baseUrl: `${up.url}/v1`,
        apiKey: "sk-a",
        healthChecks: { everySeconds: 1, recover: false },
      }],
      groups: [{ id: "team", accounts: ["a"] }],
      keys: [{ id: "alice", key: "sk-client-alice-0123456789", group: "team" }],
    },
  });
  const refused = await gateway.api("/v1/chat/completions", { json: chatRequest() });
  await refused.body?.cancel();
  revoked = false;
  await eventually(
    async () => (await lastTest(gateway, "a"))?.ok === true || undefined,
    "a passing check",
    5_000,
  );
  assert.equal((await gateway.account("a")).state, "disabled");
});

bothKvs("two gateways on one KV send one scheduled check per interval", async (kv) => {
  const at: number[] = [];
  await using up = upstream(() => {
    at.push(Date.now());
    return json(200, chatCompletion("ok"));
  });
  const config = checkedEverySecond(up.url);
  // From before the first gateway: its first check may go out while the second is starting, and
  // the interval bound below must count that time too.
  const started = Date.now();
  const first = await startGateway({ tuning: FAST, config, kvPath: kv.location });
  const second = await startGateway({ tuning: FAST, config, kvPath: first.kvPath });
  await new Promise((resolve) => setTimeout(resolve, 3_300));
  const elapsed = Date.now() - started;
  await second.close();
  await first.close();
  // One check at start, then one per second: never two in one interval, whichever gateway sent it.
  assert.ok(at.length >= 3, `${at.length} checks in ${elapsed} ms`);
  assert.ok(at.length <= Math.floor(elapsed / 1000) + 1, `${at.length} checks in ${elapsed} ms`);
  // A second check in one interval would come within a tick of the first; the time from a claim
  // to its arrival upstream jitters by tens of ms (more on a remote KV), so the gap is not 1000.
  for (let i = 1; i < at.length; i++) {
    assert.ok(
      at[i] - at[i - 1] >= 500,
      `checks ${i - 1} and ${i} only ${at[i] - at[i - 1]} ms apart`,
    );
  }
});

Deno.test("a scheduled check that meets a revoked key disables the account and alerts; its pass recovers it", async () => {
  let revoked = true;
  await using up = upstream(() =>
    revoked
      ? json(401, openaiError("bad key", "invalid_api_key"))
      : json(200, chatCompletion("back"))
  );
  await using hook = webhookReceiver(HOOK_SECRET);
  await using gateway = await startGateway({
    tuning: FAST,
    config: checkedEverySecond(up.url, [{
      url: hook.url,
      secret: HOOK_SECRET,
      events: ["account.disabled", "account.recovered"],
    }]),
  });
  // No client request at all: the check alone finds the revoked key.
  await eventually(
    () => hook.received.some((r) => r.event === "account.disabled") || undefined,
    "account.disabled from the scheduled check",
    5_000,
  );
  const view = await gateway.account("a");
  assert.equal(view.state, "disabled");
  assert.match(view.reason ?? "", /upstream answered 401/);
  const disabled = hook.received.find((r) => r.event === "account.disabled")!;
  assert.ok(disabled.signed);
  assert.equal(disabled.body.account, "a");
  assert.equal((await lastTest(gateway, "a"))?.source, "scheduled");

  revoked = false;
  await eventually(
    () => hook.received.some((r) => r.event === "account.recovered") || undefined,
    "account.recovered from the scheduled check",
    5_000,
  );
  assert.equal((await gateway.account("a")).state, "active");
  const recovered = hook.received.filter((r) => r.event === "account.recovered");
  assert.equal(recovered.length, 1);
  assert.ok(recovered[0].signed);
  assert.equal((recovered[0].body.detail as { how: string }).how, "scheduled check");
  // One episode: the failing checks of the first seconds raised it once.
  assert.equal(hook.received.filter((r) => r.event === "account.disabled").length, 1);
});

Deno.test("a scheduled check whose OAuth refresh is refused marks the account for signing in again", async () => {
  await using tokens = upstream(refusedRefresh);
  await using up = upstream(() => json(200, chatCompletion("never")));
  await using hook = webhookReceiver(HOOK_SECRET);
  await using gateway = await startGateway({
    tuning: FAST,
    secret: SECRET,
    config: {
      accounts: [
        expiredCodexAccount("codex", `${up.url}/backend-api/codex`, `${tokens.url}/oauth/token`, {
          healthChecks: { everySeconds: 1 },
        }),
      ],
      groups: [{ id: "team", accounts: ["codex"] }],
      keys: [],
      alerts: { webhooks: [{ url: hook.url, secret: HOOK_SECRET, events: ["account.reauth"] }] },
    },
  });
  await eventually(
    () => hook.received.length > 0 || undefined,
    "account.reauth from the scheduled check",
    5_000,
  );
  assert.equal(hook.received[0].event, "account.reauth");
  assert.ok(hook.received[0].signed);
  assert.equal(hook.received[0].body.account, "codex");
  assert.match((hook.received[0].body.detail as { message: string }).message, /sign/);
  assert.equal((await gateway.account("codex")).state, "disabled");
  assert.equal(up.hits.length, 0, "no request went upstream without a token");
});

for (
  const [what, answer] of [
    ["meets a 429", () => json(429, openaiError("slow down"), { "retry-after": "30" })],
    ["meets a 500", () => json(500, openaiError("upstream broke"))],
    ["cannot reach its upstream", undefined],
  ] as const
) {
  Deno.test(`a scheduled check that ${what} leaves the account's state alone`, async () => {
    await using up = upstream(answer ?? (() => json(200, chatCompletion("unused"))));
    const baseUrl = answer ? up.url : refusedUrl();
    await using hook = webhookReceiver(HOOK_SECRET);
    await using gateway = await startGateway({
      tuning: FAST,
      config: checkedEverySecond(baseUrl, [{ url: hook.url, secret: HOOK_SECRET }]),
    });
    await eventually(
      async () => (await lastTest(gateway, "a"))?.ok === false || undefined,
      "a failing check",
      5_000,
    );
    await gateway.gateway.settled();
    assert.equal((await gateway.account("a")).state, "active");
    assert.deepEqual(hook.received.map((r) => r.event), []);
  });
}

Deno.test("the receiver checks signatures with the documented code: another secret does not verify", async () => {
  await using up = upstream(() => json(401, openaiError("bad key", "invalid_api_key")));
  await using hook = webhookReceiver("whsec-not-the-gateways-one");
  await using _gateway = await startGateway({
    tuning: FAST,
    config: checkedEverySecond(up.url, [{
      url: hook.url,
      secret: HOOK_SECRET,
      events: ["account.disabled"],
    }]),
  });
  await eventually(() => hook.received.length > 0 || undefined, "account.disabled", 5_000);
  assert.equal(hook.received[0].event, "account.disabled");
  assert.equal(hook.received[0].signed, false);
});
