import assert from "node:assert/strict";
import { Deadlines } from "./deadlines.ts";

/** Resolves with the names in the order their deadlines expired, once `count` have. */
function recorder(count: number) {
  const fired: string[] = [];
  const { promise, resolve } = Promise.withResolvers<string[]>();
  return {
    fired,
    done: promise,
    expire: (name: string) => () => {
      fired.push(name);
      if (fired.length === count) resolve(fired);
    },
  };
}

Deno.test("deadlines expire in order; cancelled ones never do; nothing is left pending", async () => {
  const deadlines = new Deadlines();
  const seen = recorder(3);
  deadlines.after(5, seen.expire("a"));
  const cancelB = deadlines.after(5, seen.expire("b"));
  deadlines.after(10, seen.expire("c"));
  deadlines.after(15, seen.expire("d"));
  // Far off, so a loaded machine that fires the others late cannot expire it too.
  const cancelE = deadlines.after(60_000, seen.expire("e"));
  cancelB();
  cancelB(); // twice is harmless
  assert.deepEqual(await seen.done, ["a", "c", "d"]);
  assert.equal(deadlines.size, 1);
  assert.equal(deadlines.armed, true);
  cancelE();
  assert.equal(deadlines.size, 0);
  assert.equal(deadlines.armed, false);
});

Deno.test("a deadline shorter than one already queued still expires first", async () => {
  const deadlines = new Deadlines();
  const seen = recorder(2);
  deadlines.after(300, seen.expire("long"));
  deadlines.after(5, seen.expire("short"));
  assert.deepEqual(await seen.done, ["short", "long"]);
  assert.equal(deadlines.size, 0);
  assert.equal(deadlines.armed, false);
});

Deno.test("cancelling every deadline clears the timer; new ones arm it again", async () => {
  const deadlines = new Deadlines();
  for (let round = 0; round < 3; round++) {
    const cancels = Array.from({ length: 5 }, () => deadlines.after(60_000, () => assert.fail()));
    assert.equal(deadlines.armed, true);
    for (const cancel of cancels) cancel();
    assert.equal(deadlines.size, 0);
    assert.equal(deadlines.armed, false);
  }
  const seen = recorder(1);
  deadlines.after(1, seen.expire("after all"));
  assert.deepEqual(await seen.done, ["after all"]);
});

Deno.test("a deadline set while others expire is kept and expires too", async () => {
  const deadlines = new Deadlines();
  const seen = recorder(3);
  deadlines.after(2, () => {
    seen.expire("first")();
    deadlines.after(5, seen.expire("set on expiry"));
  });
  deadlines.after(2, seen.expire("second"));
  assert.deepEqual(await seen.done, ["first", "second", "set on expiry"]);
  assert.equal(deadlines.size, 0);
  assert.equal(deadlines.armed, false);
});

Deno.test("a queue that empties between waits keeps its one timer: no timer per wait", () => {
  const deadlines = new Deadlines();
  const realSetTimeout = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timers++;
    return realSetTimeout(...args);
  }) as typeof setTimeout;
  try {
    for (let wait = 0; wait < 100; wait++) {
      const cancel = deadlines.after(60_000, () => assert.fail());
      assert.equal(deadlines.armed, true);
      cancel();
      assert.equal(deadlines.armed, false);
    }
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assert.equal(timers, 1);
});

Deno.test("after the queue empties, a shorter wait than the timer's still expires on time", async () => {
  const deadlines = new Deadlines();
  deadlines.after(60_000, () => assert.fail())(); // leaves the timer set for a minute from now
  const seen = recorder(1);
  const started = performance.now();
  deadlines.after(5, seen.expire("short"));
  assert.deepEqual(await seen.done, ["short"]);
  assert.ok(performance.now() - started < 30_000);
  assert.equal(deadlines.armed, false);
});
