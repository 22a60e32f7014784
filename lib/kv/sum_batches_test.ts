import assert from "node:assert/strict";
import { KvReachability } from "./reachability.ts";
import { LastKnownTotals, UnsettledSums } from "./sum_batches.ts";

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

function sums(flaky: Deno.Kv, landed: string[][]) {
  return new UnsettledSums<string>({
    kv: flaky,
    reach: new KvReachability(),
    what: "test sums",
    markPrefix: "test",
    perCommit: 2,
    build: (op, chunk) => {
      for (const name of chunk) op.sum(["count", name], 1n);
    },
    landed: (chunk) => landed.push([...chunk]),
  });
}

async function counts(kv: Deno.Kv): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const entry of kv.list<Deno.KvU64>({ prefix: ["count"] })) {
    out[String(entry.key[1])] = Number(entry.value.value);
  }
  return out;
}

Deno.test("unsettled sums: a batch is committed in chunks of perCommit", async () => {
  const { kv, flaky, state } = await flakyKv();
  const landed: string[][] = [];
  const batch = await sums(flaky, landed).send(() => ["a", "b", "c", "a", "d"]);
  assert.deepEqual(batch, ["a", "b", "c", "a", "d"]);
  assert.equal(state.commits, 3);
  assert.deepEqual(landed, [["a", "b"], ["c", "a"], ["d"]]);
  assert.deepEqual(await counts(kv), { a: 2, b: 1, c: 1, d: 1 });
  kv.close();
});

Deno.test("unsettled sums: chunks the store refused are held, sent first when it is back, and counted once", async () => {
  const { kv, flaky, state } = await flakyKv();
  const landed: string[][] = [];
  const unsettled = sums(flaky, landed);
  state.mode = "down";
  await assert.rejects(unsettled.send(() => ["a", "b", "c"]));
  assert.equal(unsettled.size, 3);
  assert.deepEqual(unsettled.items(), ["a", "b", "c"]);
  let taken = false;
  await assert.rejects(unsettled.send(() => (taken = true, ["x"])));
  assert.equal(taken, false, "a new batch is not taken while older chunks are held");
  state.mode = "lost answer"; // The first chunk lands, but its answer is lost: sent again later.
  await assert.rejects(unsettled.send(() => ["x"]));
  assert.deepEqual(unsettled.items(), ["a", "b", "c"]);
  state.mode = "up";
  await unsettled.send(() => ["d"]);
  assert.equal(unsettled.size, 0);
  assert.deepEqual(landed, [["a", "b"], ["c"], ["d"]]);
  assert.deepEqual(await counts(kv), { a: 1, b: 1, c: 1, d: 1 });
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
