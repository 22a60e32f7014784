import assert from "node:assert/strict";
import { KvReachability } from "../kv/reachability.ts";
import { type Budgeted, SpendLedger } from "./spend.ts";

/** `kv` whose commits never confirm (a remote KV that is down); reads still answer. */
function unconfirmedCommits(kv: Deno.Kv): Deno.Kv {
  return new Proxy(kv, {
    get(target, property) {
      if (property === "atomic") {
        return () => {
          const op = target.atomic();
          op.commit = () => Promise.reject(new Error("error sending request: connection refused"));
          return op;
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("spend ledger: spend handed to the writer but not confirmed still counts, in every window", async () => {
  await using kv = await Deno.openKv(":memory:");
  const now = Date.UTC(2026, 11, 6, 12);
  const ledger = new SpendLedger(unconfirmedCommits(kv), 60_000, () => now, new KvReachability());
  const target: Budgeted = {
    scope: "key",
    id: "ci",
    budgets: [{ usd: 1, per: "day" }, { usd: 1, per: "5h" }],
  };
  ledger.add(target, 700_000, now);
  await assert.rejects(ledger.flush()); // handed to the writer: no longer pending, not confirmed
  ledger.add(target, 400_000, now);
  const states = await ledger.states(target, now);
  assert.deepEqual(states.map(({ budget, spent }) => [budget.per, spent]), [
    ["day", 1_100_000],
    ["5h", 1_100_000],
  ]);
  const rolling = states[1];
  assert.ok(rolling.resetsAt > now, "the rolling budget is spent and resets later");
  await assert.rejects(ledger.close());
});
