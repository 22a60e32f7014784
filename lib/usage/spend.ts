/**
 * What keys and groups with budgets spent, in Deno KV, with the same
 * discipline as `dailyTokens` (`lib/usage/limits.ts`): each process adds its
 * requests' costs to an in-memory batch, flushed about once a second as KV
 * `sum` mutations (no read-modify-write, no per-request write), and a check
 * reads the flushed totals plus this process's unflushed batch. So across
 * processes a budget can be overshot by what was in flight or unflushed when
 * it ran out; the next request after that is refused (docs/operations.md:
 * the overshoot bound).
 *
 * Layout: `["switchyard", "spend", "key"|"group", id, window]` → micro-dollars
 * (`Deno.KvU64`), `window` being a calendar window's name (`day:2026-12-06`,
 * `week:2026-11-30`, `month:2026-12`) or a 5-minute bucket number for the
 * rolling `5h` window. Only keys and groups that set budgets are written.
 *
 * When the KV does not answer, a chunk that failed is kept as it was and sent
 * again with its batch mark (`commitOnce`), so spend is exact once the store
 * is back, and a check answers from the last spend it read plus what this
 * process wrote since and holds: a budget keeps counting locally and refuses
 * when that view says it is spent.
 *
 * @module
 */

import type { Budget } from "../config/types.ts";
import { spendKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { BatchedSums } from "../kv/sum_batches.ts";
import {
  bucketOf,
  type BudgetState,
  calendarWindow,
  firstLiveBucket,
  rollingState,
} from "./budgets.ts";

/** A key or a group with budgets. */
export interface Budgeted {
  scope: "key" | "group";
  id: string;
  budgets: readonly Budget[];
}

interface Pending {
  key: Deno.KvKey;
  micros: number;
}

/** Mutations per atomic commit, well under KV's limit. */
const PER_COMMIT = 500;
/** Old rolling buckets deleted per sweep. */
const SWEEP_LIMIT = 100;

/** Batches spend and reads it back per budget. */
export class SpendLedger {
  /** Per key or group: the bucket its old buckets were last swept at. */
  readonly #swept = new Map<string, number>();
  /** The batch; its last known totals are per counter (an outage's view). */
  readonly #sums: BatchedSums<Pending>;

  constructor(
    private readonly kv: Deno.Kv,
    flushMs = 1000,
    private readonly now: () => number = Date.now,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#sums = new BatchedSums({
      kv,
      reach,
      name: "spend",
      flushMs,
      perCommit: PER_COMMIT,
      build: (op, chunk) => {
        for (const item of chunk) op.sum(item.key, BigInt(item.micros));
      },
      known: (item) => [JSON.stringify(item.key), item.micros],
      afterBatch: (batch) => reach.call("sweep spend", () => this.#sweep(batch)),
    });
  }

  /** Adds a request's cost to each of the target's budget windows at `at`. */
  add(target: Budgeted, micros: number, at: number): void {
    if (micros <= 0 || target.budgets.length === 0) return;
    for (const key of windowKeys(target, at)) {
      this.#sums.entry(JSON.stringify(key), () => ({ key, micros: 0 })).micros += micros;
    }
  }

  /** Each budget's spend in its window at `now`: flushed by any process, plus this one's batch. */
  async states(target: Budgeted, now: number): Promise<BudgetState[]> {
    const states: BudgetState[] = [];
    const calendar = target.budgets.filter((budget) => budget.per !== "5h");
    const windows = calendar.map((budget) =>
      calendarWindow(budget.per as "day" | "week" | "month", now)
    );
    const keys = windows.map((window) => spendKey(target.scope, target.id, window.id));
    const stored = await this.#read(keys);
    calendar.forEach((budget, index) => {
      const spent = stored[index] + this.#unflushed(keys[index]);
      states.push({ budget, spent, resetsAt: windows[index].end });
    });
    const rolling = target.budgets.find((budget) => budget.per === "5h");
    if (rolling) states.push(rollingState(rolling, await this.#buckets(target, now), now));
    return states;
  }

  /** Flushed totals of `keys`; while the KV is down, the last ones read plus this process's since. */
  async #read(keys: Deno.KvKey[]): Promise<number[]> {
    if (keys.length === 0) return [];
    try {
      const entries = await this.reach.call(
        "read spend",
        () => withLockRetry(() => this.kv.getMany<Deno.KvU64[]>(keys)),
      );
      return entries.map((entry, index) => {
        const value = Number(entry.value?.value ?? 0n);
        this.#sums.lastKnown.read(JSON.stringify(keys[index]), value);
        return value;
      });
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
      return keys.map((key) => this.#sums.lastKnown.get(JSON.stringify(key)) ?? 0);
    }
  }

  /** Writes the batch now. */
  flush(): Promise<void> {
    return this.#sums.flush();
  }

  /** Stops the timer and writes what is left. */
  close(): Promise<void> {
    return this.#sums.close();
  }

  async #buckets(target: Budgeted, now: number): Promise<Map<number, number>> {
    const first = firstLiveBucket(now);
    const buckets = new Map<number, number>();
    const range = {
      start: spendKey(target.scope, target.id, first),
      end: spendKey(target.scope, target.id, bucketOf(now) + 1),
    };
    try {
      const entries = await this.reach.call(
        "read spend",
        () => Array.fromAsync(this.kv.list<Deno.KvU64>(range)),
      );
      for (const entry of entries) {
        const bucket = entry.key[entry.key.length - 1] as number;
        buckets.set(bucket, Number(entry.value.value));
        this.#sums.lastKnown.read(JSON.stringify(entry.key), Number(entry.value.value));
      }
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
      for (let bucket = first; bucket <= bucketOf(now); bucket++) {
        const known = this.#sums.lastKnown.get(
          JSON.stringify(spendKey(target.scope, target.id, bucket)),
        );
        if (known !== undefined) buckets.set(bucket, known);
      }
    }
    // Everything the store has not confirmed, as `#unflushed` counts for calendar windows.
    for (const held of this.#sums.held()) {
      const [, , scope, id, bucket] = held.key;
      if (scope !== target.scope || id !== target.id || typeof bucket !== "number") continue;
      if (bucket >= first) buckets.set(bucket, (buckets.get(bucket) ?? 0) + held.micros);
    }
    return buckets;
  }

  #unflushed(key: Deno.KvKey): number {
    const id = JSON.stringify(key);
    let micros = 0;
    for (const item of this.#sums.held()) {
      if (JSON.stringify(item.key) === id) micros += item.micros;
    }
    return micros;
  }

  /** Deletes rolling buckets that left their window (`sum` keeps no expiry). */
  async #sweep(batch: readonly Pending[]): Promise<void> {
    const now = this.now();
    for (const { key } of batch) {
      const [, , scope, id, bucket] = key;
      if (typeof bucket !== "number") continue;
      const target = JSON.stringify([scope, id]);
      if (this.#swept.get(target) === bucket) continue;
      this.#swept.set(target, bucket);
      const range = {
        start: spendKey(scope as "key" | "group", id as string, 0),
        end: spendKey(scope as "key" | "group", id as string, firstLiveBucket(now) - 1),
      };
      const op = this.kv.atomic();
      for await (const entry of this.kv.list(range, { limit: SWEEP_LIMIT })) op.delete(entry.key);
      await withLockRetry(() => op.commit());
    }
  }
}

/** The counters a cost at `at` adds to: one per budget window. */
function windowKeys(target: Budgeted, at: number): Deno.KvKey[] {
  return target.budgets.map((budget) =>
    budget.per === "5h"
      ? spendKey(target.scope, target.id, bucketOf(at))
      : spendKey(target.scope, target.id, calendarWindow(budget.per, at).id)
  );
}
