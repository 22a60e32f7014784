import assert from "node:assert/strict";
import { KvReachability } from "./reachability.ts";
import { BatchedSums, LastKnownTotals } from "./sum_batches.ts";

type Mode = "up" | "down" | "lost answer";

/** An in-memory KV whose commits the test fails: `down` refuses them, `lost answer` applies them and then fails. */
async function flakyKv() {
  const kv = await Deno.openKv(":memory:");
  const state = { mode: "up" as Mode, commits: 0 };
  const flaky = new Proxy(kv, {
    get(target, name) {
      if (name !== "atomic") return Reflect.get(target, name, target);
      return () => {
        const op = target.atomic();
        const commit = op.commit.bind(op);
        op.commit = async () => {
          state.commits++;
          if (state.mode === "down") throw new Error("error sending request: connection refused");
          const result = await commit();
          if (state.mode === "lost answer") {
            throw new Error("error sending request: connection reset");
          }
          return result;
        };
        return op;
      };
    },
  });
  return { kv, flaky, state };
}

interface Item {
  name: string;
  n: number;
}

function sums(flaky: Deno.Kv, batches: string[][]) {
  return new BatchedSums<Item>({
    kv: flaky,
    reach: new KvReachability(),
    name: "test",
    flushMs: 60_000,
    perCommit: 2,
    build: (op, chunk) => {
      for (const item of chunk) op.sum(["count", item.name], BigInt(item.n));
    },
    known: (item) => [item.name, item.n],
    afterBatch: (batch) => Promise.resolve(void batches.push(batch.map((item) => item.name))),
  });
}

function add(target: BatchedSums<Item>, name: string, n = 1): void {
  target.entry(name, () => ({ name, n: 0 })).n += n;
}

async function counts(kv: Deno.Kv): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const entry of kv.list<Deno.KvU64>({ prefix: ["count"] })) {
    out[String(entry.key[1])] = Number(entry.value.value);
  }
  return out;
}

Deno.test("batched sums: one item per id, committed in chunks of perCommit", async () => {
  const { kv, flaky, state } = await flakyKv();
  const batches: string[][] = [];
  const target = sums(flaky, batches);
  for (const name of ["a", "b", "c", "a", "d", "e"]) add(target, name);
  assert.equal(target.size, 5);
  await target.flush();
  assert.equal(state.commits, 3);
  assert.equal(target.size, 0);
  assert.deepEqual(batches, [["a", "b", "c", "d", "e"]]);
  assert.deepEqual(await counts(kv), { a: 2, b: 1, c: 1, d: 1, e: 1 });
  await target.close();
  kv.close();
});

Deno.test("batched sums: chunks the store refused are held and sent first when it is back, counted once", async () => {
  const { kv, flaky, state } = await flakyKv();
  const batches: string[][] = [];
  const target = sums(flaky, batches);
  target.lastKnown.read("a", 10);
  state.mode = "down";
  for (const name of ["a", "b", "c"]) add(target, name);
  await assert.rejects(target.flush());
  assert.deepEqual(target.held().map((item) => item.name), ["a", "b", "c"]);
  add(target, "x");
  await assert.rejects(target.flush());
  add(target, "x", 2); // The new batch keeps gathering behind the held chunks.
  assert.deepEqual(target.held(), [
    { name: "x", n: 3 },
    { name: "a", n: 1 },
    { name: "b", n: 1 },
    { name: "c", n: 1 },
  ]);
  assert.deepEqual([...target.pending()], [{ name: "x", n: 3 }]);
  state.mode = "lost answer"; // The first chunk lands, but its answer is lost: sent again later.
  await assert.rejects(target.flush());
  assert.equal(target.lastKnown.get("a"), 10, "not landed as far as this process knows");
  assert.deepEqual(batches, []);
  state.mode = "up";
  await target.flush();
  assert.equal(target.size, 0);
  assert.equal(target.lastKnown.get("a"), 11);
  assert.equal(target.lastKnown.get("b"), undefined, "never read: stays unknown");
  assert.deepEqual(batches, [["x"]]);
  assert.deepEqual(await counts(kv), { a: 1, b: 1, c: 1, x: 3 });
  await target.close();
  kv.close();
});

Deno.test("last known totals: reads set, landings add to known totals only, the limit forgets", () => {
  const totals = new LastKnownTotals(2);
  const steps: [
    step: "read" | "landed",
    id: string,
    n: number,
    expect: Record<string, number | undefined>,
  ][] = [
    ["landed", "a", 5, { a: undefined }],
    ["read", "a", 10, { a: 10 }],
    ["landed", "a", 5, { a: 15 }],
    ["read", "b", 1, { a: 15, b: 1 }],
    ["read", "c", 2, { a: 15, b: 1, c: 2 }],
    ["read", "d", 3, { a: undefined, b: undefined, c: undefined, d: 3 }],
  ];
  for (const [step, id, n, expect] of steps) {
    if (step === "read") totals.read(id, n);
    else totals.landed(id, n);
    for (const [key, value] of Object.entries(expect)) {
      assert.equal(totals.get(key), value, `${step} ${id} ${n}: ${key}`);
    }
  }
});
