/**
 * `GET /admin/usage` rows with their money: `costUsd` (and the exact
 * `costMicros`) beside the tokens; rows by group summed from the rows by key
 * (a key counts toward the group it is in now); model rows with requests
 * recorded without a price marked `unpriced: true` (recorded with the cost,
 * so the mark stays when the model later gets a price); account rows of subscription (OAuth) accounts
 * marked `subscription: true`, their cost being the API-equivalent value.
 *
 * @module
 */

import type { Directory } from "../../accounts/directory.ts";
import type { UsageDimension, UsageRow } from "../../usage/recorder.ts";

type Counts = Omit<UsageRow, "id" | "cost" | "unpriced">;
type Row = Record<string, unknown> & Counts & { costUsd: number; costMicros: number };

/** The rows and totals of a usage answer. */
export function usageWithCost(
  rows: readonly UsageRow[],
  by: UsageDimension | "group",
  directory: Directory,
): { rows: Row[]; totals: Counts & { costUsd: number; costMicros: number } } {
  const grouped = by === "group" ? byGroup(rows, directory) : rows;
  const out = grouped.map(({ id, cost, unpriced, ...counts }) => {
    const row: Row = { [by]: id, ...counts, costUsd: cost / 1_000_000, costMicros: cost };
    if (by === "model" && unpriced) row.unpriced = true;
    if (by === "account" && directory.account(id)?.account.oauth) row.subscription = true;
    return row;
  });
  const totals = { input: 0, output: 0, cached: 0, requests: 0, costMicros: 0, costUsd: 0 };
  for (const row of grouped) {
    totals.input += row.input;
    totals.output += row.output;
    totals.cached += row.cached;
    totals.requests += row.requests;
    totals.costMicros += row.cost;
  }
  totals.costUsd = totals.costMicros / 1_000_000;
  return { rows: out, totals };
}

function byGroup(rows: readonly UsageRow[], directory: Directory): UsageRow[] {
  const groups = new Map<string, UsageRow>();
  for (const row of rows) {
    const id = directory.key(row.id)?.group ?? "(removed key)";
    const sum = groups.get(id) ??
      { id, input: 0, output: 0, cached: 0, requests: 0, cost: 0 };
    sum.input += row.input;
    sum.output += row.output;
    sum.cached += row.cached;
    sum.requests += row.requests;
    sum.cost += row.cost;
    groups.set(id, sum);
  }
  return [...groups.values()].sort((a, b) => b.input + b.output - (a.input + a.output));
}
