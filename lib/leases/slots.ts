/**
 * Concurrency slots shared by every process on one KV: a counting semaphore
 * per account or client key. Each holder owns a lease with an expiry, so a
 * process that dies cannot leak slots for longer than {@linkcode LEASE_MS};
 * live holders renew their lease while their stream runs, and give it back
 * the moment it ends.
 *
 * Layout: `["switchyard", "slots", scope, id]` → `{ [leaseId]: until }`, one
 * record per limited account or key, changed only by versionstamp-checked
 * commits so two processes cannot both take the last slot.
 *
 * Nothing here runs unless a `concurrency` limit is configured.
 *
 * @module
 */

import { slotsKey } from "../kv/keys.ts";
import { withLockRetry } from "../kv/retry.ts";
import { logFailure } from "../log.ts";

/** How long a lease lives without renewal. */
export const LEASE_MS = 60_000;

/** What is limited. */
export type SlotScope = "account" | "key";

/** A held slot. `release` is idempotent and never throws. */
export interface Slot {
  release(): Promise<void>;
}

type LeaseTable = Record<string, number>;

/** Takes and gives back slots. */
export class SlotLeases {
  readonly #waiters = new Set<() => void>();
  readonly #leaseMs: number;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(private readonly kv: Deno.Kv, options: { leaseMs?: number } = {}) {
    this.#leaseMs = options.leaseMs ?? LEASE_MS;
  }

  /** A slot if one of `limit` is free now; `null` when all are taken. */
  async tryAcquire(scope: SlotScope, id: string, limit: number): Promise<Slot | null> {
    const leaseId = crypto.randomUUID();
    for (;;) {
      const entry = await withLockRetry(() => this.kv.get<LeaseTable>(slotsKey(scope, id)));
      const now = Date.now();
      const live = liveLeases(entry.value, now);
      if (Object.keys(live).length >= limit) return null;
      live[leaseId] = now + this.#leaseMs;
      const result = await withLockRetry(() =>
        this.kv.atomic().check(entry).set(slotsKey(scope, id), live, {
          expireIn: this.#leaseMs * 2,
        }).commit()
      );
      if (result.ok) return this.#held(scope, id, leaseId);
    }
  }

  /** How many live leases an account or key has (for views and tests). */
  async inUse(scope: SlotScope, id: string): Promise<number> {
    const entry = await withLockRetry(() => this.kv.get<LeaseTable>(slotsKey(scope, id)));
    return Object.keys(liveLeases(entry.value, Date.now())).length;
  }

  /** Keeps track of background work on slots (a release, a waiting stream) for {@linkcode settled}. */
  track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Waits for tracked background work (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /**
   * Resolves when a slot in this process is given back, after `ms` at most
   * (slots freed by other processes are seen by polling), or when `signal` aborts.
   */
  changed(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#waiters.add(done);
      signal?.addEventListener("abort", done);
    });
  }

  #held(scope: SlotScope, id: string, leaseId: string): Slot {
    let released = false;
    const renew = setInterval(() => {
      this.#update(scope, id, (table) => {
        table[leaseId] = Date.now() + this.#leaseMs;
      }).catch(() => {});
    }, Math.max(1000, this.#leaseMs / 3));
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        await this.#update(scope, id, (table) => {
          delete table[leaseId];
        }).catch(logFailure("slot release failed; the lease will expire"));
        for (const wake of [...this.#waiters]) wake();
      },
    };
  }

  async #update(scope: SlotScope, id: string, change: (table: LeaseTable) => void): Promise<void> {
    for (;;) {
      const entry = await withLockRetry(() => this.kv.get<LeaseTable>(slotsKey(scope, id)));
      const table = liveLeases(entry.value, Date.now());
      change(table);
      const op = this.kv.atomic().check(entry);
      if (Object.keys(table).length === 0) op.delete(slotsKey(scope, id));
      else op.set(slotsKey(scope, id), table, { expireIn: this.#leaseMs * 2 });
      const result = await withLockRetry(() => op.commit());
      if (result.ok) return;
    }
  }
}

function liveLeases(table: LeaseTable | null, now: number): LeaseTable {
  const live: LeaseTable = {};
  for (const [leaseId, until] of Object.entries(table ?? {})) {
    if (until > now) live[leaseId] = until;
  }
  return live;
}
