/** Tests for the shared failover log (`failover_log.ts`): batched writes, listing. */

import assert from "node:assert/strict";
import { FAILOVER_LOG_PREFIX } from "../kv/keys.ts";
import { type FailoverEvent, FailoverLog } from "./failover_log.ts";

function event(account: string, at: number): FailoverEvent {
  return { at: new Date(at).toISOString(), account, reason: "rateLimited", status: 429, key: "k" };
}

async function stored(kv: Deno.Kv): Promise<Deno.KvEntry<FailoverEvent>[]> {
  return await Array.fromAsync(kv.list<FailoverEvent>({ prefix: FAILOVER_LOG_PREFIX }));
}

Deno.test("failovers recorded one by one are written together, in one commit", async () => {
  const kv = await Deno.openKv(":memory:");
  const log = new FailoverLog(kv, undefined, 60_000);
  try {
    const now = Date.now();
    for (const [i, account] of ["a", "b", "c"].entries()) {
      await log.record([event(account, now + i)]);
    }
    assert.equal((await stored(kv)).length, 0, "nothing written per failover");
    // This process reads its own failovers at once (the batch goes first).
    assert.deepEqual((await log.recent(10)).map((e) => e.account), ["c", "b", "a"]);
    const entries = await stored(kv);
    assert.equal(new Set(entries.map((entry) => entry.versionstamp)).size, 1, "one commit");
  } finally {
    await log.close();
    kv.close();
  }
});

Deno.test("another process sees a batch once its wait is over; a large batch is split", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-failover-log-" });
  const kvA = await Deno.openKv(`${dir}/log.kv`);
  const kvB = await Deno.openKv(`${dir}/log.kv`);
  const writer = new FailoverLog(kvA, undefined, 20);
  const reader = new FailoverLog(kvB);
  try {
    const now = Date.now();
    await writer.record(Array.from({ length: 250 }, (_, i) => event(`acct-${i}`, now + i)));
    for (let tries = 0; (await stored(kvB)).length < 250 && tries < 500; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal((await stored(kvB)).length, 250);
    assert.equal((await reader.recent(20))[0]?.account, "acct-249");
    assert.ok(new Set((await stored(kvB)).map((e) => e.versionstamp)).size >= 3, "split");
  } finally {
    await writer.close();
    await reader.close();
    kvA.close();
    kvB.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("close writes what is batched", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const log = new FailoverLog(kv, undefined, 60_000);
    await log.record([event("a", Date.now())]);
    await log.close();
    assert.equal((await stored(kv)).length, 1);
  } finally {
    kv.close();
  }
});
