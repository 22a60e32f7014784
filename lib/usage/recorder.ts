/**
 * Usage totals in Deno KV, written in batches. Requests add to an in-memory
 * batch; the batch is flushed about once a second (and on shutdown) as KV
 * `sum` mutations, so totals from every process add up without read-modify-
 * write and without one KV write per request.
 *
 * Layout (counters are `Deno.KvU64`; `sum` keeps no expiry, so totals are
 * kept until deleted):
 * - `["switchyard", "usage", day, key, account, model, "input"|"output"|"cached"|"requests"|"cost"|"unpriced"]`;
 *   `cost` is in micro-dollars, priced when recorded (`lib/usage/cost.ts`);
 *   `unpriced` counts the requests recorded at 0 for want of a price, so a
 *   row keeps that mark after its model gets a price;
 * - `["switchyard", "usage-key", day, key]` → input + output tokens, for `dailyTokens`.
 *
 * `day` is the UTC date, `YYYY-MM-DD`.
 *
 * When the KV does not answer (a remote KV's outage), a chunk that failed is
 * kept as it was and sent again, with its batch mark, before anything newer
 * (`commitOnce`), so usage is exact once the store is back; `keyTokens`
 * then answers from the last total it read plus what this process wrote
 * since and what it holds.
 *
 * @module
 */

import { keyTokensKey, usageDayPrefix, usageKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { BatchedSums } from "../kv/sum_batches.ts";
import type { TokenUsage } from "../protocols/usage.ts";

/** One request's usage. */
export interface UsageRecord {
  key: string;
  account: string;
  model: string;
  tokens: TokenUsage;
  /** Epoch ms; decides the UTC day. */
  at: number;
  /** Its cost in micro-dollars at the price in force when recorded (0 when unpriced). */
  costMicros?: number;
  /** Its model had no price when recorded (so `costMicros` is 0 by default, not by price). */
  unpriced?: boolean;
}

/** What totals are grouped by. */
export type UsageDimension = "key" | "account" | "model";

/** One row of a usage query. */
export interface UsageRow {
  id: string;
  input: number;
  output: number;
  cached: number;
  requests: number;
  /** Micro-dollars. */
  cost: number;
  /** Requests recorded without a price (absent when none). */
  unpriced?: number;
}

interface Pending {
  day: string;
  key: string;
  account: string;
  model: string;
  input: number;
  output: number;
  cached: number;
  requests: number;
  cost: number;
  unpriced: number;
}

const COUNTERS = ["input", "output", "cached", "requests", "cost", "unpriced"] as const;
const DIMENSION_INDEX: Record<UsageDimension, number> = { key: 3, account: 4, model: 5 };
/** Combinations per atomic commit: at most 7 mutations each, well under KV's limit (1000). */
const COMBOS_PER_COMMIT = 100;

const DAY_MS = 86_400_000;
/** The last day computed: every request asks, and nearly always for the same day. */
let lastDay = { start: 0, end: 0, day: "" };

/** The UTC day of an epoch-ms time, `YYYY-MM-DD`. */
export function utcDay(at: number): string {
  if (at >= lastDay.start && at < lastDay.end) return lastDay.day;
  const day = new Date(at).toISOString().slice(0, 10);
  // Epoch time has no leap seconds: every UTC day is DAY_MS long.
  const start = Math.floor(at / DAY_MS) * DAY_MS;
  lastDay = { start, end: start + DAY_MS, day };
  return day;
}

/** Batches usage and reads totals. */
export class UsageRecorder {
  /** The batch; its last known totals are the `usage-key` totals per `[day, key]`. */
  readonly #sums: BatchedSums<Pending>;

  constructor(
    private readonly kv: Deno.Kv,
    flushMs = 1000,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#sums = new BatchedSums({
      kv,
      reach,
      name: "usage",
      flushMs,
      perCommit: COMBOS_PER_COMMIT,
      build: addCounters,
      known: (item) => [JSON.stringify([item.day, item.key]), item.input + item.output],
    });
  }

  /** Adds one request's usage to the batch. */
  record(record: UsageRecord): void {
    const day = utcDay(record.at);
    const id = JSON.stringify([day, record.key, record.account, record.model]);
    const pending = this.#sums.entry(id, () => ({
      day,
      key: record.key,
      account: record.account,
      model: record.model,
      input: 0,
      output: 0,
      cached: 0,
      requests: 0,
      cost: 0,
      unpriced: 0,
    }));
    pending.input += record.tokens.input;
    pending.output += record.tokens.output;
    pending.cached += record.tokens.cached;
    pending.requests += 1;
    pending.cost += record.costMicros ?? 0;
    if (record.unpriced) pending.unpriced += 1;
  }

  /** Tokens (input + output) a key used on `day`, flushed or still batched here. */
  async keyTokens(key: string, day: string): Promise<number> {
    const known = JSON.stringify([day, key]);
    let total: number;
    try {
      const entry = await this.reach.call(
        "read daily tokens",
        () => withLockRetry(() => this.kv.get<Deno.KvU64>(keyTokensKey(day, key))),
      );
      total = entry.value ? Number(entry.value.value) : 0;
      this.#sums.lastKnown.read(known, total);
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
      total = this.#sums.lastKnown.get(known) ?? 0;
    }
    for (const pending of this.#sums.held()) {
      if (pending.key === key && pending.day === day) total += pending.input + pending.output;
    }
    return total;
  }

  /** Usage this process holds that the store has not confirmed (combinations). */
  get unwritten(): number {
    return this.#sums.size;
  }

  /** Writes the batch now. Concurrent calls share one write order. */
  flush(): Promise<void> {
    return this.#sums.flush();
  }

  /** Stops the timer and writes what is left. */
  close(): Promise<void> {
    return this.#sums.close();
  }

  /** Totals per `by` over the UTC days `from`..`to` (inclusive). */
  async query(from: string, to: string, by: UsageDimension): Promise<UsageRow[]> {
    await this.flush();
    const rows = new Map<string, UsageRow>();
    for (const day of daysBetween(from, to)) {
      const entries = await this.reach.call(
        "read usage",
        () => Array.fromAsync(this.kv.list<Deno.KvU64>({ prefix: usageDayPrefix(day) })),
      );
      for (const entry of entries) {
        const parts = entry.key as string[];
        const id = parts[DIMENSION_INDEX[by]];
        const counter = parts[6] as typeof COUNTERS[number];
        let row = rows.get(id);
        if (!row) {
          row = { id, input: 0, output: 0, cached: 0, requests: 0, cost: 0 };
          rows.set(id, row);
        }
        if (counter === "unpriced") row.unpriced = (row.unpriced ?? 0) + Number(entry.value.value);
        else if (COUNTERS.includes(counter)) row[counter] += Number(entry.value.value);
      }
    }
    return [...rows.values()].sort((a, b) => b.input + b.output - (a.input + a.output));
  }
}

/** The sums one chunk of usage adds: its counters and each key's daily tokens. */
function addCounters(op: Deno.AtomicOperation, chunk: readonly Pending[]): void {
  for (const item of chunk) {
    for (const counter of COUNTERS) {
      if (item[counter] > 0) {
        op.sum(
          usageKey(item.day, item.key, item.account, item.model, counter),
          BigInt(item[counter]),
        );
      }
    }
    const tokens = item.input + item.output;
    if (tokens > 0) op.sum(keyTokensKey(item.day, item.key), BigInt(tokens));
  }
}

/** The UTC days from `from` to `to`, inclusive; throws on bad dates or a range over 366 days. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || Number.isNaN(start)) throw new RangeError("from");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(to) || Number.isNaN(end)) throw new RangeError("to");
  if (end < start || end - start > 366 * 86_400_000) throw new RangeError("to");
  const days: string[] = [];
  for (let at = start; at <= end; at += 86_400_000) days.push(utcDay(at));
  return days;
}
