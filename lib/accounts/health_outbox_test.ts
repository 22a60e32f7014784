import assert from "node:assert/strict";
import { HealthOutbox } from "./health_outbox.ts";
import { KvReachability } from "../kv/reachability.ts";
import type { LocalEffect } from "./health_overlay.ts";
import { eventually, within } from "../../tests/support/async.ts";

const effect = (accountId: string): LocalEffect => ({
  accountId,
  effect: { kind: "cooldown", reason: "rateLimited", until: 5_000, strike: false },
  now: 0,
});

Deno.test("outbox on a local file: a write is awaited and its own error reaches the caller", async () => {
  const outbox = new HealthOutbox();
  const landed: string[] = [];
  await outbox.push(effect("a"), () => Promise.resolve(void landed.push("a")));
  assert.deepEqual(landed, ["a"]);
  await assert.rejects(
    outbox.push(undefined, () => Promise.reject(new TypeError("bad value"))),
    TypeError,
  );
  // Nor is a transport-like error retried on a file: there is no outage to wait out.
  await assert.rejects(
    outbox.push(undefined, () => Promise.reject(new Error("connection reset"))),
    /connection reset/,
  );
  assert.equal(outbox.pending, 0);
});

Deno.test("outbox on a remote KV: transport failures are retried until the write lands, in order", async () => {
  const outbox = new HealthOutbox(new KvReachability({ deadlineMs: 5_000 }));
  const landed: string[] = [];
  let failures = 2;
  const first = outbox.push(effect("a"), () => {
    if (failures-- > 0) return Promise.reject(new Error("connection reset by peer"));
    landed.push("a");
    return Promise.resolve();
  });
  const second = outbox.push(effect("b"), () => Promise.resolve(void landed.push("b")));
  const mark = outbox.mark();
  assert.deepEqual(outbox.effects().map((e) => e.accountId), ["a", "b"]);
  await within(Promise.all([first, second]), "the retried writes");
  assert.deepEqual(landed, ["a", "b"]);
  // Landed after the read that took `mark` began: that read may not hold them.
  outbox.forget(mark);
  assert.deepEqual(outbox.effects().map((e) => e.accountId), ["a", "b"]);
  // A read that began after both landed holds them.
  outbox.forget(outbox.mark());
  assert.deepEqual(outbox.effects(), []);
});

Deno.test("outbox on a remote KV: a write that hangs holds its caller up to the deadline only", async () => {
  const reach = new KvReachability({ deadlineMs: 50 });
  const outbox = new HealthOutbox(reach);
  const store = Promise.withResolvers<void>();
  const landed: string[] = [];
  await within(
    outbox.push(effect("a"), async () => {
      await store.promise;
      landed.push("a");
    }),
    "the deadline",
    2_000,
  );
  assert.equal(reach.reachable, false);
  // Known to be down: the next caller does not wait at all.
  await within(
    outbox.push(effect("b"), () => Promise.resolve(void landed.push("b"))),
    "no wait",
    40,
  );
  assert.equal(outbox.pending, 2);
  assert.deepEqual(outbox.effects().map((e) => e.accountId), ["a", "b"]);
  store.resolve(); // The store is back.
  await eventually(() => outbox.pending === 0, "the queued writes to land");
  assert.deepEqual(landed, ["a", "b"]);
  assert.equal(reach.reachable, true);
  outbox.close();
});
