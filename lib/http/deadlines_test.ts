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
