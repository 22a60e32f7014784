import assert from "node:assert/strict";
import { emptyUsage, type IrUsage, mergeUsage, usageWithZeros } from "./ir.ts";

Deno.test("mergeUsage lays known counts over; usageWithZeros fills the rest with 0", () => {
  const base: IrUsage = { input: 10, output: 5, cachedInput: 2, cacheWrite: 1, reasoning: 3 };
  const table: [counts: Partial<IrUsage>, merged: IrUsage, whole: IrUsage][] = [
    [{}, base, emptyUsage()],
    [{ input: undefined, output: 7 }, { ...base, output: 7 }, { ...emptyUsage(), output: 7 }],
    [{ input: 0, reasoning: 9 }, { ...base, input: 0, reasoning: 9 }, {
      ...emptyUsage(),
      reasoning: 9,
    }],
    [base, base, base],
  ];
  for (const [counts, merged, whole] of table) {
    assert.deepEqual(mergeUsage(base, counts), merged, JSON.stringify(counts));
    assert.deepEqual(usageWithZeros(counts), whole, JSON.stringify(counts));
  }
  assert.deepEqual(base, { input: 10, output: 5, cachedInput: 2, cacheWrite: 1, reasoning: 3 });
});
