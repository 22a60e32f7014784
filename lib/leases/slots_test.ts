import assert from "node:assert/strict";
import { KvReachability } from "../kv/reachability.ts";
import { SlotLeases } from "./slots.ts";

Deno.test("slots: while the KV is down, a slot comes from this process's own count, bounded by the limit", async () => {
  await using kv = await Deno.openKv(":memory:");
  const reach = new KvReachability({ deadlineMs: 1_000 });
  const slots = new SlotLeases(kv, { reach });
  const before = await slots.tryAcquire("account", "oa", 2); // in KV, counted here too
  assert.ok(before);
  reach.probeWith(() => new Promise(() => {})); // the store stays down for this test
  reach.failed(new Error("error sending request: connection refused"));
  const during = await slots.tryAcquire("account", "oa", 2);
  assert.ok(during, "one more of the two");
  assert.equal(await slots.tryAcquire("account", "oa", 2), null, "the limit holds per process");
  assert.equal(await slots.inUse("account", "oa"), 2);
  await during.release();
  const again = await slots.tryAcquire("account", "oa", 2);
  assert.ok(again, "a slot given back is free again");
  await again.release();
  await before.release(); // kept for the store's return
  assert.equal(await slots.inUse("account", "oa"), 0);
  reach.close();
  await slots.close();
});
