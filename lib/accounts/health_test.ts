/**
 * The health store over KV, with two stores on one KV file as two processes:
 * cooldowns, strikes, disables, probes and model cooldowns as every process sees them.
 */

import assert from "node:assert/strict";
import { AccountStateStore } from "./health.ts";
import { GENERATION_KEY } from "../kv/keys.ts";

async function twoStores(probeSeconds = 300): Promise<
  { a: AccountStateStore; b: AccountStateStore } & AsyncDisposable
> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-state-" });
  // Two connections to one file, as two gateway processes have.
  const kvA = await Deno.openKv(`${dir}/state.kv`);
  const kvB = await Deno.openKv(`${dir}/state.kv`);
  return {
    a: new AccountStateStore(kvA, () => 3, undefined, () => probeSeconds),
    b: new AccountStateStore(kvB, () => 3, undefined, () => probeSeconds),
    async [Symbol.asyncDispose]() {
      kvA.close();
      kvB.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a short cooldown from a stale writer never shortens a longer one", async () => {
  await using stores = await twoStores();
  const now = Date.now();
  // B read its snapshot before A's write, as a request in flight on another process has.
  await stores.b.current();
  await stores.a.apply("acct", {
    kind: "cooldown",
    reason: "rateLimited",
    until: now + 3_000,
    strike: false,
  });
  await stores.b.apply("acct", {
    kind: "cooldown",
    reason: "overloaded",
    until: now + 50,
    strike: false,
  });
  const health = (await stores.a.current()).health("acct");
  assert.equal(health.cooldownUntil, now + 3_000);
  assert.equal(health.cooldownReason, "rateLimited");
});

Deno.test("a 403 strike does not shorten a longer quota cooldown", async () => {
  await using stores = await twoStores();
  const now = Date.now();
  await stores.b.current();
  await stores.a.apply("acct", {
    kind: "cooldown",
    reason: "quota",
    until: now + 86_400_000,
    strike: false,
  });
  await stores.b.apply("acct", {
    kind: "cooldown",
    reason: "forbidden",
    until: now + 600_000,
    strike: true,
  });
  const health = (await stores.a.current()).health("acct");
  assert.equal(health.cooldownUntil, now + 86_400_000);
  assert.equal(health.cooldownReason, "quota");
  assert.equal(health.strikes, 1);
});

Deno.test("concurrent cooldowns from two writers keep the longest", async () => {
  await using stores = await twoStores();
  const now = Date.now();
  const untils = Array.from({ length: 40 }, (_, i) => now + 1_000 + ((i * 7919) % 40) * 100);
  await Promise.all(untils.map((until, i) =>
    (i % 2 ? stores.a : stores.b).apply("acct", {
      kind: "cooldown",
      reason: i % 3 ? "overloaded" : "rateLimited",
      until,
      strike: false,
    })
  ));
  const health = (await stores.b.current()).health("acct");
  assert.equal(health.cooldownUntil, Math.max(...untils));
});

const FORBIDDEN = { kind: "cooldown", reason: "forbidden", until: 0, strike: true } as const;
const TEMPORARY = {
  kind: "disable",
  reason: "3 consecutive 403 responses",
  temporary: true,
} as const;

Deno.test("forbiddenStrikes disables with a temporary reason; its probe is due probeSeconds later", async () => {
  await using stores = await twoStores();
  const now = Date.now();
  for (let i = 0; i < 3; i++) await stores.a.apply("acct", { ...FORBIDDEN, until: now }, now);
  const snapshot = await stores.b.current();
  assert.equal(snapshot.condition("acct", now), "disabled");
  assert.equal(snapshot.health("acct").disabled?.temporary, true);
  assert.equal(snapshot.nextProbeAt("acct"), now + 300_000);
  assert.equal(await stores.a.claimProbe("acct", now + 299_999), undefined, "not due yet");
});

Deno.test("two processes racing for one due probe: exactly one claims it", async () => {
  await using stores = await twoStores();
  const then = Date.now() - 400_000;
  await stores.a.apply("acct", TEMPORARY, then);
  await stores.a.current();
  await stores.b.current();
  const claims = await Promise.all(
    Array.from({ length: 10 }, (_, i) => (i % 2 ? stores.a : stores.b).claimProbe("acct")),
  );
  assert.equal(claims.filter((claim) => claim !== undefined).length, 1);
  // The claim moved the next probe one wait ahead.
  const next = (await stores.a.current()).nextProbeAt("acct")!;
  assert.ok(next > Date.now() + 200_000);
});

Deno.test("a failed probe doubles the wait up to a day; a success restores and clears strikes", async () => {
  await using stores = await twoStores();
  let now = Date.now() - 10 * 86_400_000;
  for (let i = 0; i < 3; i++) await stores.a.apply("acct", { ...FORBIDDEN, until: now }, now);
  const waits: number[] = [];
  for (let round = 0; round < 10; round++) {
    now = (await stores.b.current()).nextProbeAt("acct")!;
    const claim = await stores.b.claimProbe("acct", now);
    assert.ok(claim, `probe ${round} claimed`);
    await stores.b.settleProbe("acct", claim, { ...FORBIDDEN, until: now }, now);
    const disabled = (await stores.a.current()).health("acct").disabled!;
    waits.push(disabled.probeWaitMs!);
    assert.equal(disabled.probeAt, now + disabled.probeWaitMs!);
  }
  assert.deepEqual(waits.slice(0, 3), [600_000, 1_200_000, 2_400_000]);
  assert.equal(waits.at(-1), 86_400_000);
  assert.equal((await stores.a.current()).health("acct").strikes, 3, "a probe never strikes");

  now = (await stores.b.current()).nextProbeAt("acct")!;
  const claim = await stores.b.claimProbe("acct", now);
  await stores.b.settleProbe("acct", claim!, { kind: "healthy" }, now);
  const health = (await stores.a.current()).health("acct");
  assert.equal(health.disabled, undefined);
  assert.equal(health.strikes, 0);
});

Deno.test("a probe settled after an admin reset, or with a permanent answer", async () => {
  await using stores = await twoStores();
  const then = Date.now() - 400_000;
  await stores.a.apply("acct", TEMPORARY, then);
  const claim = await stores.a.claimProbe("acct");
  await stores.b.reset("acct");
  await stores.a.settleProbe("acct", claim!, { ...FORBIDDEN, until: Date.now() });
  assert.equal((await stores.b.current()).health("acct").disabled, undefined, "reset stands");

  await stores.a.apply("acct", TEMPORARY, then);
  const second = await stores.a.claimProbe("acct");
  await stores.a.settleProbe("acct", second!, { kind: "disable", reason: "401", temporary: false });
  const snapshot = await stores.b.current();
  assert.equal(snapshot.health("acct").disabled?.reason, "401");
  assert.equal(snapshot.nextProbeAt("acct"), undefined, "a dead credential gets no probes");
});

Deno.test("a temporary disable keeps a running schedule; a permanent one replaces it", async () => {
  await using stores = await twoStores();
  const then = Date.now() - 1000;
  await stores.a.apply("acct", TEMPORARY, then);
  await stores.b.apply("acct", { ...TEMPORARY, reason: "later" });
  assert.equal((await stores.a.current()).health("acct").disabled?.since, then);
  await stores.b.apply("acct", { kind: "disable", reason: "401", temporary: false });
  await stores.b.apply("acct", TEMPORARY);
  assert.equal((await stores.a.current()).health("acct").disabled?.reason, "401");
});

Deno.test("probeSeconds 0: no probe is due or claimed", async () => {
  await using stores = await twoStores(0);
  await stores.a.apply("acct", TEMPORARY, Date.now() - 86_400_000);
  assert.equal((await stores.a.current()).nextProbeAt("acct"), undefined);
  assert.equal(await stores.a.claimProbe("acct"), undefined);
});

Deno.test("model cooldowns never shorten, stay apart from the account's, and reset clears them", async () => {
  await using stores = await twoStores();
  const now = Date.now();
  const model = (name: string, until: number) =>
    ({ kind: "cooldown", reason: "quota", until, strike: false, model: name }) as const;
  await stores.b.current();
  await stores.a.apply("acct", model("claude-opus-4", now + 86_400_000));
  await stores.b.apply("acct", model("claude-opus-4", now + 1_000));
  await stores.b.apply("acct", model("gpt-4o", now + 5_000));
  const snapshot = await stores.a.current();
  assert.equal(snapshot.condition("acct", now), "active");
  assert.deepEqual(snapshot.modelCooldowns("acct", now), [
    { model: "claude-opus-4", until: now + 86_400_000, reason: "quota" },
    { model: "gpt-4o", until: now + 5_000, reason: "quota" },
  ]);
  assert.equal(snapshot.health("acct").strikes, 0);
  await stores.b.reset("acct");
  assert.deepEqual((await stores.a.current()).modelCooldowns("acct", now), []);
});

Deno.test("a cooldown already over when it is applied writes nothing; a strike with it still counts", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new AccountStateStore(kv, () => 3);
    const stamp = async () => (await kv.get(GENERATION_KEY)).versionstamp;
    const before = await stamp();
    const now = Date.now();
    // `cooldownSeconds.rateLimited: 0`: fail over, rest nothing; a KV commit would change nothing.
    for (const until of [now, now - 1]) {
      await store.apply(
        "acct",
        { kind: "cooldown", reason: "rateLimited", until, strike: false },
        now,
      );
      await store.apply("acct", {
        kind: "cooldown",
        reason: "rateLimited",
        until,
        strike: false,
        model: "gpt-x",
      }, now);
    }
    assert.equal(await stamp(), before, "no state write for a rest that is already over");
    assert.equal((await store.current()).condition("acct", now), "active");
    await store.apply(
      "acct",
      { kind: "cooldown", reason: "forbidden", until: now, strike: true },
      now,
    );
    assert.equal((await store.current()).health("acct").strikes, 1, "a strike is written");
    assert.notEqual(await stamp(), before);
  } finally {
    kv.close();
  }
});
