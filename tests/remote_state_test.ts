/**
 * Account health on a remote KV (KV Connect, through the test server): a
 * request waits on no KV round trip while nothing changed (the watch stream
 * of `lib/kv/watch_signal.ts`), and in an outage requests are served from the
 * last state, never hang, honour this process's own cooldowns at once, and
 * the cooldown reaches the other gateway once the store is back.
 */

import assert from "node:assert/strict";
import { chatRequest, startGateway, type TestGateway } from "./support/gateway.ts";
import { chatCompletion, json, openaiError, upstream } from "./support/upstream.ts";
import { eventually, within } from "./support/async.ts";
import { type SharedKv, sharedKv } from "./support/shared_kv.ts";
import type { KvServer } from "./support/kv_server.ts";
import { AccountStateStore } from "../lib/accounts/health.ts";
import { GENERATION_KEY } from "../lib/kv/keys.ts";
import { KvReachability } from "../lib/kv/reachability.ts";

/** The KV Connect data-path requests the test server has answered. */
async function dataRequests(server: KvServer): Promise<number> {
  const state = await server.state();
  return (state.stats as { data: number }).data;
}

async function ask(gateway: TestGateway): Promise<{ status: number; account: string | null }> {
  const response = await gateway.api("/v1/chat/completions", { json: chatRequest() });
  await response.body?.cancel();
  return { status: response.status, account: response.headers.get("x-switchyard-account") };
}

/** Two in-process gateways on one store, primary before backup. */
async function twoGateways(kv: SharedKv, primaryUrl: string, backupUrl: string) {
  const spec = {
    accounts: [
      { id: "primary", upstream: primaryUrl, priority: 1 },
      { id: "backup", upstream: backupUrl, priority: 2 },
    ],
    kvPath: kv.location,
    // Usage batches and the watch's heartbeat off the counted window: only requests count.
    usageFlushMs: 600_000,
    tuning: { kvDeadlineMs: 300, kvWatchHeartbeatMs: 600_000 },
  };
  return { a: await startGateway(spec), b: await startGateway(spec) };
}

Deno.test("remote KV: while nothing changes, a request makes no KV round trip", async () => {
  await using kv = await sharedKv("remote");
  await using ok = upstream(() => json(200, chatCompletion("ok")));
  const { a, b } = await twoGateways(kv, `${ok.url}/v1`, `${ok.url}/v1`);
  await using _a = a;
  await using _b = b;
  // Once each stream delivered the keys' state (its opening is a KV request, made once), and
  // each gateway read it, requests find nothing changed.
  await eventually(() => a.gateway.states.watching && b.gateway.states.watching, "the watches");
  assert.equal((await ask(a)).status, 200);
  assert.equal((await ask(b)).status, 200);
  const before = await dataRequests(kv.server!);
  for (let i = 0; i < 20; i++) assert.equal((await ask(i % 2 ? a : b)).status, 200);
  assert.equal(await dataRequests(kv.server!) - before, 0, "KV requests made by 20 requests");
});

Deno.test("remote KV: a process reads its own writes at once, before its watch delivers them", async () => {
  await using kv = await sharedKv("remote");
  let limited = true;
  await using primary = upstream(() =>
    limited
      ? json(429, openaiError("slow down", "rate_limit_error"), { "retry-after": "600" })
      : json(200, chatCompletion("primary"))
  );
  await using backup = upstream(() => json(200, chatCompletion("backup")));
  const { a, b } = await twoGateways(kv, `${primary.url}/v1`, `${backup.url}/v1`);
  await using _a = a;
  await using _b = b;
  await eventually(() => a.gateway.states.watching, "the watch");
  // Every change the stream delivers from now on comes a second late.
  await kv.server!.faults({ watchDelayMs: 1_000 });
  assert.deepEqual(await ask(a), { status: 200, account: "backup" }, "primary cools");
  assert.deepEqual(await ask(a), { status: 200, account: "backup" }, "and stays cooled");
  limited = false;
  // The admin's reset, written here, counts for this process's very next request.
  await a.gateway.states.reset("primary");
  assert.deepEqual(await ask(a), { status: 200, account: "primary" });
});

for (const outage of [true, "cut"] as const) {
  Deno.test(`remote KV outage (${outage === true ? "503s" : "cut bodies"}): requests are served, a cooldown holds here at once and reaches the other gateway after recovery`, async () => {
    await using kv = await sharedKv("remote");
    const server = kv.server!;
    let limited = false;
    await using primary = upstream(() =>
      limited
        ? json(429, openaiError("slow down", "rate_limit_error"), { "retry-after": "600" })
        : json(200, chatCompletion("primary"))
    );
    await using backup = upstream(() => json(200, chatCompletion("backup")));
    const { a, b } = await twoGateways(kv, `${primary.url}/v1`, `${backup.url}/v1`);
    await using _a = a;
    await using _b = b;
    assert.deepEqual(await ask(a), { status: 200, account: "primary" });
    assert.deepEqual(await ask(b), { status: 200, account: "primary" });

    await server.faults({ outage });
    limited = true;
    // A meets the 429 and fails over; its cooldown write cannot land, and does not hold the answer.
    assert.deepEqual(await within(ask(a), "A's failover in the outage"), {
      status: 200,
      account: "backup",
    });
    assert.equal(primary.hits.length, 3);
    assert.equal(a.gateway.states.pendingWrites, 1);
    assert.equal(a.gateway.reach.reachable, false);
    // A honours its own cooldown from memory: the primary is not asked again.
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await within(ask(a), "A's request in the outage"), {
        status: 200,
        account: "backup",
      });
    }
    assert.equal(primary.hits.length, 3, "A forgot its own cooldown in the outage");
    const cooling = (await a.gateway.states.current()).health("primary");
    assert.equal(cooling.cooldownReason, "rateLimited");

    await server.faults({ outage: false });
    // The write lands once the store answers, and B's watch stream delivers it.
    await eventually(() => a.gateway.states.pendingWrites === 0, "A's cooldown write to land");
    // B's admin API refuses (503) until B itself has seen the store answer again.
    await eventually(() => b.gateway.reach.reachable, "B to see the store again");
    await eventually(
      async () => (await b.account("primary")).state === "cooldown",
      "B to learn of A's cooldown",
    );
    assert.deepEqual(await within(ask(b), "B's request after recovery"), {
      status: 200,
      account: "backup",
    });
    assert.equal(primary.hits.length, 3, "B did not honour A's cooldown after recovery");
    const stored = await a.kv.get<{ until: number }>([
      "switchyard",
      "account",
      "primary",
      "cooldown",
    ]);
    assert.equal(stored.value?.until, cooling.cooldownUntil, "the landed cooldown is A's");
    await eventually(() => a.gateway.reach.reachable, "A to see the store again");
  });
}

Deno.test("remote KV slower than the deadline: current() serves the last state at once, then catches up", async () => {
  await using kv = await sharedKv("remote");
  const kvA = await Deno.openKv(kv.location);
  const kvB = await Deno.openKv(kv.location);
  const a = new AccountStateStore(kvA, () => 3);
  const reach = new KvReachability({ deadlineMs: 200 });
  const b = new AccountStateStore(kvB, () => 3, undefined, undefined, {
    reach,
    watchChanges: true,
    heartbeatMs: 600_000,
  });
  try {
    await a.apply("acct", {
      kind: "cooldown",
      reason: "rateLimited",
      until: Date.now() + 600_000,
      strike: false,
    });
    await eventually(
      async () => (await b.current()).condition("acct", Date.now()) === "cooldown",
      "B to learn of the cooldown",
    );
    await kv.server!.faults({ latencyMs: 1_500 });
    // Every read still outlives the deadline, so the store flips back and forth: record a flip back.
    let answeredAgain = false;
    reach.onChange((status) => answeredAgain ||= status.reachable);
    // Another process clears it; the commit lands after the latency and B's watch delivers it, but
    // B's read of the new state takes two slow round trips: B must not wait for them.
    const cleared = kvA.atomic().delete(["switchyard", "account", "acct", "cooldown"])
      .set(GENERATION_KEY, crypto.randomUUID()).commit();
    const seen: string[] = [];
    await eventually(
      async () => {
        const snapshot = await within(b.current(), "B's current() on a slow KV", 1_000);
        seen.push(snapshot.condition("acct", Date.now()));
        return seen.at(-1) === "active";
      },
      "B to catch up once the slow reads answer",
      20_000,
    );
    assert.equal((await cleared).ok, true);
    assert.equal(seen[0], "cooldown", "B served its last state while the KV was slow");
    assert.equal(answeredAgain, true, "B saw the store answer again");
  } finally {
    b.close();
    kvA.close();
    kvB.close();
  }
});
