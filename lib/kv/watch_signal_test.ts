import assert from "node:assert/strict";
import { WatchSignal } from "./watch_signal.ts";
import { eventually } from "../../tests/support/async.ts";

async function withKv(body: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await body(kv);
  } finally {
    kv.close();
  }
}

Deno.test("watch signal: unchanged only while live and verified after the last delivery", async () => {
  await withKv(async (kv) => {
    let deliveries = 0;
    const signal = new WatchSignal(kv, { onChange: () => deliveries++ });
    try {
      assert.equal(signal.unchanged(), false, "not watching yet");
      signal.watch([["g"], ["d"]]);
      await eventually(() => signal.live, "the first delivery");
      assert.equal(signal.unchanged(), false, "the first delivery is not verified by any read");
      // A read that began after the delivery verifies it.
      signal.verified(signal.observe());
      assert.equal(signal.unchanged(), true);

      // A commit is delivered: the next check fails until a read that began after it.
      const mark = signal.observe();
      await kv.set(["g"], 1);
      await eventually(() => !signal.unchanged(), "the commit to be delivered");
      signal.verified(mark); // A read that began before the delivery proves nothing.
      assert.equal(signal.unchanged(), false);
      signal.verified(signal.observe());
      assert.equal(signal.unchanged(), true);

      // Keys nobody watches change nothing; the same keys again do not restart the stream.
      const before = deliveries;
      await kv.set(["other"], 1);
      signal.watch([["g"], ["d"]]);
      await kv.set(["d"], 1);
      await eventually(() => deliveries > before, "the watched commit");
      assert.equal(deliveries, before + 1);
    } finally {
      signal.close();
    }
    assert.equal(signal.unchanged(), false, "a closed signal vouches for nothing");
  });
});

Deno.test("watch signal: new keys restart the stream, which must deliver again", async () => {
  await withKv(async (kv) => {
    const signal = new WatchSignal(kv);
    try {
      signal.watch([["g"]]);
      await eventually(() => signal.live, "the first delivery");
      signal.verified(signal.observe());
      signal.watch([["g"], ["pricing"]]);
      assert.equal(signal.unchanged(), false);
      await eventually(() => signal.live, "the new stream's first delivery");
      signal.verified(signal.observe());
      assert.equal(signal.unchanged(), true);
    } finally {
      signal.close();
    }
  });
});
