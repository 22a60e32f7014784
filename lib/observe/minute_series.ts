/**
 * The last hour, minute by minute, across every process on the KV, for the
 * dashboard's charts: requests, errors and failovers, tokens and cost by
 * account, and time-to-first-byte percentiles.
 *
 * Each process counts its own minutes in memory (synchronously, on the
 * request's way out) and writes them every {@linkcode SERIES_FLUSH_MS} (and
 * on shutdown) as one record per minute and process,
 * `["switchyard", "series", minute, processId]`, overwritten with the
 * minute's running totals and expiring after two hours. Reading merges the
 * records of every process, with this process's unwritten counts from
 * memory. TTFB is kept as counts in fixed buckets, so percentiles of merged
 * minutes stay honest (to a bucket's width).
 *
 * @module
 */

import { SERIES_PREFIX, seriesKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { WriteBehind } from "../kv/write_behind.ts";

/** How often a process writes its minutes. */
export const SERIES_FLUSH_MS = 2000;

/** Minutes shown. */
export const SERIES_MINUTES = 60;

/** Upper bounds (ms) of the TTFB buckets; the last bucket is everything slower. */
export const TTFB_BOUNDS_MS: readonly number[] = [
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10000,
  30000,
  60000,
];

const KEEP_MS = 2 * 3600_000;

/** One minute's totals (one process's, or merged). */
export interface MinuteTotals {
  requests: number;
  /** Answers with status 400 or above. */
  errors: number;
  failovers: number;
  /** Input + output tokens by the account that served. */
  tokens: Record<string, number>;
  /** Micro-dollars by the account that served (absent in minutes written before cost was kept). */
  cost?: Record<string, number>;
  /** Counts per TTFB bucket (`TTFB_BOUNDS_MS.length + 1` of them). */
  ttfb: number[];
}

/** What the dashboard draws: one value per minute, oldest first. */
export interface SeriesView {
  /** ISO time of the first minute's start. */
  from: string;
  requests: number[];
  errors: number[];
  failovers: number[];
  tokens: Record<string, number[]>;
  /** Micro-dollars by account (accounts with a cost in the hour). */
  cost: Record<string, number[]>;
  /** Milliseconds; `null` for a minute with no first byte. */
  ttfb: { p50: (number | null)[]; p90: (number | null)[]; p99: (number | null)[] };
}

/** An empty minute. */
export function emptyMinute(): MinuteTotals {
  return {
    requests: 0,
    errors: 0,
    failovers: 0,
    tokens: {},
    cost: {},
    ttfb: TTFB_BOUNDS_MS.map(() => 0).concat(0),
  };
}

/** The bucket a TTFB falls in. */
export function ttfbBucket(ms: number): number {
  const index = TTFB_BOUNDS_MS.findIndex((bound) => ms <= bound);
  return index === -1 ? TTFB_BOUNDS_MS.length : index;
}

/**
 * The `q` quantile (0-1) of bucketed counts, interpolated linearly inside its
 * bucket; the open last bucket reads as its lower bound. `null` with no counts.
 */
export function bucketQuantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (const [index, count] of counts.entries()) {
    if (count > 0 && below + count >= rank) {
      const low = index === 0 ? 0 : TTFB_BOUNDS_MS[index - 1];
      const high = TTFB_BOUNDS_MS[index];
      if (high === undefined) return low;
      return Math.round((low + (high - low) * Math.max(0, rank - below) / count) * 10) / 10;
    }
    below += count;
  }
  return TTFB_BOUNDS_MS.at(-1)!;
}

/** Adds `from` into `into`. */
export function mergeMinute(into: MinuteTotals, from: MinuteTotals): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.failovers += from.failovers;
  for (const [account, tokens] of Object.entries(from.tokens)) {
    into.tokens[account] = (into.tokens[account] ?? 0) + tokens;
  }
  for (const [account, micros] of Object.entries(from.cost ?? {})) {
    into.cost ??= {};
    into.cost[account] = (into.cost[account] ?? 0) + micros;
  }
  from.ttfb.forEach((count, index) => into.ttfb[index] = (into.ttfb[index] ?? 0) + count);
}

/** The view of `minutes` (minute start in epoch ms → totals) for the hour ending at `now`. */
export function seriesView(minutes: ReadonlyMap<number, MinuteTotals>, now: number): SeriesView {
  const last = minuteOf(now);
  const first = last - (SERIES_MINUTES - 1) * 60_000;
  const view: SeriesView = {
    from: new Date(first).toISOString(),
    requests: [],
    errors: [],
    failovers: [],
    tokens: {},
    cost: {},
    ttfb: { p50: [], p90: [], p99: [] },
  };
  const accounts = new Set<string>();
  const priced = new Set<string>();
  for (const [at, totals] of minutes) {
    if (at < first || at > last) continue;
    Object.keys(totals.tokens).forEach((id) => accounts.add(id));
    Object.keys(totals.cost ?? {}).forEach((id) => priced.add(id));
  }
  for (const id of [...accounts].sort()) view.tokens[id] = [];
  for (const id of [...priced].sort()) view.cost[id] = [];
  for (let at = first; at <= last; at += 60_000) {
    const totals = minutes.get(at) ?? emptyMinute();
    view.requests.push(totals.requests);
    view.errors.push(totals.errors);
    view.failovers.push(totals.failovers);
    for (const id of accounts) view.tokens[id].push(totals.tokens[id] ?? 0);
    for (const id of priced) view.cost[id].push(totals.cost?.[id] ?? 0);
    view.ttfb.p50.push(bucketQuantile(totals.ttfb, 0.5));
    view.ttfb.p90.push(bucketQuantile(totals.ttfb, 0.9));
    view.ttfb.p99.push(bucketQuantile(totals.ttfb, 0.99));
  }
  return view;
}

/** The start (epoch ms) of the minute holding `at`. */
export function minuteOf(at: number): number {
  return at - at % 60_000;
}

/** This process's minutes, written to KV in the background, and the merged hour. */
export class MinuteSeries {
  readonly #process = crypto.randomUUID();
  readonly #mine = new Map<number, MinuteTotals>();
  readonly #dirty = new Set<number>();
  readonly #writer: WriteBehind;

  constructor(
    private readonly kv: Deno.Kv,
    flushMs = SERIES_FLUSH_MS,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#writer = new WriteBehind(() => this.#write(), flushMs, "series");
  }

  /** Counts a finished request. Synchronous and cheap. */
  request(
    done: {
      status: number;
      ttfbMs?: number;
      account?: string | null;
      tokens?: number;
      costMicros?: number;
    },
    now = Date.now(),
  ): void {
    const totals = this.#minute(now);
    totals.requests += 1;
    if (done.status >= 400) totals.errors += 1;
    if (done.ttfbMs !== undefined) totals.ttfb[ttfbBucket(done.ttfbMs)] += 1;
    if (done.account && done.tokens) {
      totals.tokens[done.account] = (totals.tokens[done.account] ?? 0) + done.tokens;
    }
    if (done.account && done.costMicros) {
      totals.cost ??= {};
      totals.cost[done.account] = (totals.cost[done.account] ?? 0) + done.costMicros;
    }
  }

  /** Counts attempts that moved a request on. */
  failovers(count: number, now = Date.now()): void {
    if (count > 0) this.#minute(now).failovers += count;
  }

  /** The last hour, merged across processes. */
  async view(now = Date.now()): Promise<SeriesView> {
    const first = minuteOf(now) - (SERIES_MINUTES - 1) * 60_000;
    const merged = new Map<number, MinuteTotals>();
    const add = (at: number, totals: MinuteTotals) => {
      const into = merged.get(at) ?? emptyMinute();
      mergeMinute(into, totals);
      merged.set(at, into);
    };
    // While the KV is down the view holds this process's minutes only.
    const entries = await this.reach.call(
      "read the minute series",
      () =>
        Array.fromAsync(this.kv.list<MinuteTotals>({
          start: [...SERIES_PREFIX, first],
          end: [...SERIES_PREFIX, Infinity],
        })),
    ).catch((error) => {
      if (error instanceof KvUnreachable) return [];
      throw error;
    });
    for (const entry of entries) {
      const [, , at, process] = entry.key as [string, string, number, string];
      if (process !== this.#process) add(at, entry.value);
    }
    for (const [at, totals] of this.#mine) if (at >= first) add(at, totals);
    return seriesView(merged, now);
  }

  /** Writes this process's changed minutes now. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Stops the timer and writes what is left. */
  close(): Promise<void> {
    return this.#writer.close();
  }

  #minute(now: number): MinuteTotals {
    const at = minuteOf(now);
    let totals = this.#mine.get(at);
    if (!totals) {
      totals = emptyMinute();
      this.#mine.set(at, totals);
      // Keep an hour and a bit; older minutes are in KV until they expire.
      for (const old of this.#mine.keys()) {
        if (old < at - SERIES_MINUTES * 60_000) this.#mine.delete(old);
      }
    }
    this.#dirty.add(at);
    this.#writer.schedule();
    return totals;
  }

  async #write(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const minutes = [...this.#dirty];
    this.#dirty.clear();
    try {
      // Whole minutes are set (not summed): a retry after a timeout writes the same totals.
      await this.reach.call("write the minute series", () =>
        withLockRetry(() => {
          const op = this.kv.atomic();
          for (const at of minutes) {
            const totals = this.#mine.get(at);
            if (totals) op.set(seriesKey(at, this.#process), totals, { expireIn: KEEP_MS });
          }
          return op.commit();
        }));
    } catch (error) {
      for (const at of minutes) this.#dirty.add(at); // the writer schedules the retry
      throw error;
    }
  }
}
