import assert from "node:assert/strict";
import { AccountStateStore } from "./account_state.ts";

async function twoStores(): Promise<
  { a: AccountStateStore; b: AccountStateStore } & AsyncDisposable
> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-state-" });
  // Two connections to one file, as two gateway processes have.
  const kvA = await Deno.openKv(`${dir}/state.kv`);
  const kvB = await Deno.openKv(`${dir}/state.kv`);
  return {
    a: new AccountStateStore(kvA, () => 3),
    b: new AccountStateStore(kvB, () => 3),
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
