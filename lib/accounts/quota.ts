/**
 * Per-account quota snapshots: the used percent and reset time of each Codex
 * (`x-codex-*`) and Claude (`anthropic-ratelimit-unified-*`) window, taken
 * from the headers of every upstream answer, successes included.
 *
 * Kept cheap: a snapshot lands in memory on each answer that carries quota
 * headers, and reaches KV (`["switchyard", "quota", id]`) at most once per
 * {@linkcode QUOTA_WRITE_INTERVAL_MS} per account, or at once when a window's
 * exhaustion flips. The admin view merges KV (other processes) with memory.
 *
 * @module
 */

import type { QuotaWindow } from "./model.ts";
import { hasQuotaHeaders, quotaWindows } from "../providers/reset_time.ts";
import { isScopedUnifiedWindow } from "../providers/claude/quota.ts";
import { QUOTA_PREFIX, quotaKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";

/** Least time between two KV writes of one account's snapshot. */
export const QUOTA_WRITE_INTERVAL_MS = 30_000;

/** One account's quota as last seen. */
export interface QuotaSnapshot {
  /** Epoch ms of the answer it came from. */
  at: number;
  windows: QuotaWindow[];
}

/**
 * What the planner reads of a snapshot: its current account-wide windows
 * (5-hour and weekly, whose reset is still ahead or unknown) reduced to the
 * highest use, the soonest reset and whether one is spent.
 */
export interface QuotaStanding {
  /** The highest used percent (a used-up window counts as 100). */
  usedPercent?: number;
  /** The soonest reset among the current windows, epoch ms. */
  resetsAt?: number;
  /** A window is used up (exhausted, or 100 % used): requests fail until it resets. */
  spent: boolean;
  /** When the last spent window resets, epoch ms, when the upstream said. */
  spentUntil?: number;
}

/** An account's {@linkcode QuotaStanding} at `now`; windows whose reset has passed are over. */
export function quotaStanding(snapshot: QuotaSnapshot, now: number): QuotaStanding {
  const standing: QuotaStanding = { spent: false };
  for (const window of snapshot.windows) {
    if (window.resetAt !== undefined && window.resetAt <= now) continue;
    // The account's 5-hour and weekly windows; a model's own window rests only that model.
    if (isScopedUnifiedWindow(window.name)) continue;
    const spent = window.exhausted || (window.usedPercent ?? 0) >= 100;
    const used = spent ? Math.max(100, window.usedPercent ?? 100) : window.usedPercent;
    if (used !== undefined) standing.usedPercent = Math.max(standing.usedPercent ?? used, used);
    if (window.resetAt !== undefined) {
      standing.resetsAt = Math.min(standing.resetsAt ?? window.resetAt, window.resetAt);
    }
    if (spent) {
      standing.spent = true;
      if (window.resetAt !== undefined) {
        standing.spentUntil = Math.max(standing.spentUntil ?? window.resetAt, window.resetAt);
      }
    }
  }
  return standing;
}

/** The JSON form shown by `GET /admin/accounts`. */
export interface QuotaView {
  at: string;
  windows: { name: string; usedPercent?: number; resetAt?: string; exhausted: boolean }[];
}

/** Quota snapshots of every account, in memory with throttled KV writes. */
export class QuotaBook {
  readonly #memory = new Map<string, QuotaSnapshot>();
  readonly #written = new Map<string, { at: number; exhausted: string }>();
  readonly #pending = new Set<Promise<unknown>>();
  #pulledAt = 0;
  #listener: ((accountId: string, windows: QuotaWindow[]) => void) | undefined;

  constructor(
    private readonly kv: Deno.Kv,
    private readonly reach: KvReachability = new KvReachability(),
  ) {}

  /** Tells `listener` of every answer's windows (one listener: the quota alerts); it must be cheap. */
  listen(listener: (accountId: string, windows: QuotaWindow[]) => void): void {
    this.#listener = listener;
  }

  /** Records the quota headers of an upstream answer. Synchronous and cheap. */
  record(accountId: string, headers: Headers, now = Date.now()): void {
    if (!hasQuotaHeaders(headers)) return;
    const windows = quotaWindows(headers, now);
    if (windows.length === 0) return;
    this.#listener?.(accountId, windows);
    const snapshot: QuotaSnapshot = { at: now, windows };
    this.#memory.set(accountId, snapshot);
    const exhausted = windows.filter((w) => w.exhausted).map((w) => w.name).join(",");
    const last = this.#written.get(accountId);
    if (last && now - last.at < QUOTA_WRITE_INTERVAL_MS && last.exhausted === exhausted) return;
    this.#written.set(accountId, { at: now, exhausted });
    // A snapshot the KV did not take is not retried: the next answer's headers replace it.
    this.#track(
      this.reach.call(
        "write a quota snapshot",
        () => this.kv.set(quotaKey(accountId), snapshot, { expireIn: 8 * 24 * 3600_000 }),
      ),
    );
  }

  /** Where an account stands on its current windows, as this process knows it. */
  standing(accountId: string, now = Date.now()): QuotaStanding | undefined {
    const snapshot = this.#memory.get(accountId);
    return snapshot ? quotaStanding(snapshot, now) : undefined;
  }

  /**
   * Refreshes this process's view from KV (other processes' snapshots) in the
   * background, at most every {@linkcode QUOTA_WRITE_INTERVAL_MS}; the
   * planner reads {@linkcode standing} for `avoidAbovePercent`, spent windows and `resets-first`.
   */
  pullSoon(): void {
    this.#pull();
  }

  /** Every account's latest snapshot, from KV and memory, newest wins. */
  async all(): Promise<Map<string, QuotaSnapshot>> {
    const merged = new Map<string, QuotaSnapshot>();
    const entries = await this.reach.call(
      "read quota snapshots",
      () => Array.fromAsync(this.kv.list<QuotaSnapshot>({ prefix: QUOTA_PREFIX })),
    ).catch((error) => {
      if (error instanceof KvUnreachable) return []; // This process's snapshots still show.
      throw error;
    });
    for (const entry of entries) merged.set(String(entry.key[2]), entry.value);
    for (const [id, snapshot] of this.#memory) {
      const stored = merged.get(id);
      if (!stored || stored.at <= snapshot.at) merged.set(id, snapshot);
    }
    return merged;
  }

  /** Waits for background KV writes (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #pull(): void {
    const now = Date.now();
    if (now - this.#pulledAt < QUOTA_WRITE_INTERVAL_MS) return;
    this.#pulledAt = now;
    this.#track((async () => {
      const entries = await this.reach.call(
        "read quota snapshots",
        () => Array.fromAsync(this.kv.list<QuotaSnapshot>({ prefix: QUOTA_PREFIX })),
      );
      for (const entry of entries) {
        const id = String(entry.key[2]);
        const mine = this.#memory.get(id);
        if (!mine || mine.at < entry.value.at) this.#memory.set(id, entry.value);
      }
    })());
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

/** The admin view of a snapshot. */
export function quotaView(snapshot: QuotaSnapshot): QuotaView {
  return {
    at: new Date(snapshot.at).toISOString(),
    windows: snapshot.windows.map((window) => {
      const view: QuotaView["windows"][number] = { name: window.name, exhausted: window.exhausted };
      if (window.usedPercent !== undefined) view.usedPercent = window.usedPercent;
      if (window.resetAt !== undefined) view.resetAt = new Date(window.resetAt).toISOString();
      return view;
    }),
  };
}
