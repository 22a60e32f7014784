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
 * When the KV does not answer (a remote KV's outage, `docs/kv-outages.md`),
 * a slot is taken from this process's own count of the slots it holds: the
 * limit holds per process (fail open across processes, each bounded by the
 * limit), and no request waits on the store. A release the store did not
 * take is retried until it lands (or the lease expires on its own).
 *
 * @module
 */

import { slotsKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { RetryQueue } from "../kv/retry_queue.ts";

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
  /** Slots this process holds per `scope/id`, through KV or not: the outage's count. */
  readonly #mine = new Map<string, number>();
  readonly #reach: KvReachability;
  readonly #releases: RetryQueue;

  constructor(
    private readonly kv: Deno.Kv,
    options: { leaseMs?: number; reach?: KvReachability } = {},
  ) {
    this.#leaseMs = options.leaseMs ?? LEASE_MS;
    this.#reach = options.reach ?? new KvReachability();
    this.#releases = new RetryQueue(this.#reach, "slot release");
  }

  /** A slot if one of `limit` is free now; `null` when all are taken. */
  async tryAcquire(scope: SlotScope, id: string, limit: number): Promise<Slot | null> {
    const leaseId = crypto.randomUUID();
    try {
      for (;;) {
        const entry = await this.#read(scope, id);
        const now = Date.now();
        const live = liveLeases(entry.value, now);
        if (Object.keys(live).length >= limit) return null;
        live[leaseId] = now + this.#leaseMs;
        const result = await this.#reach.call(
          "take a slot",
          () =>
            withLockRetry(() =>
              this.kv.atomic().check(entry).set(slotsKey(scope, id), live, {
                expireIn: this.#leaseMs * 2,
              }).commit()
            ),
        );
        if (result.ok) return this.#held(scope, id, leaseId, true);
      }
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
      // The store is down: this process's own slots are the count (per-process limit).
      if ((this.#mine.get(`${scope}/${id}`) ?? 0) >= limit) return null;
      return this.#held(scope, id, leaseId, false);
    }
  }

  /** How many live leases an account or key has (for views and tests); this process's while the KV is down. */
  async inUse(scope: SlotScope, id: string): Promise<number> {
    try {
      const entry = await this.#read(scope, id);
      return Object.keys(liveLeases(entry.value, Date.now())).length;
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
      return this.#mine.get(`${scope}/${id}`) ?? 0;
    }
  }

  #read(scope: SlotScope, id: string): Promise<Deno.KvEntryMaybe<LeaseTable>> {
    return this.#reach.call(
      "read slots",
      () => withLockRetry(() => this.kv.get<LeaseTable>(slotsKey(scope, id))),
    );
  }

  /** Keeps track of background work on slots (a release, a waiting stream) for {@linkcode settled}. */
  track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Waits for tracked background work (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await this.#releases.settled();
  }

  /** Shutdown: one last try of releases kept while the KV was down (else their leases expire). */
  close(): Promise<void> {
    return this.#releases.close();
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

  /** A held slot; `stored` when its lease is in KV (else it lives in this process only). */
  #held(scope: SlotScope, id: string, leaseId: string, stored: boolean): Slot {
    const counted = `${scope}/${id}`;
    this.#mine.set(counted, (this.#mine.get(counted) ?? 0) + 1);
    let released = false;
    const renew = stored
      ? setInterval(() => {
        this.#update(scope, id, (table) => {
          table[leaseId] = Date.now() + this.#leaseMs;
        }).catch(() => {});
      }, Math.max(1000, this.#leaseMs / 3))
      : undefined;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        const left = (this.#mine.get(counted) ?? 1) - 1;
        if (left > 0) this.#mine.set(counted, left);
        else this.#mine.delete(counted);
        if (stored) {
          // Kept and retried while the KV is down, so the slot is free again soon after it is back.
          await this.#releases.put(leaseId, () =>
            this.#update(scope, id, (table) => {
              delete table[leaseId];
            }));
        }
        for (const wake of [...this.#waiters]) wake();
      },
    };
  }

  async #update(scope: SlotScope, id: string, change: (table: LeaseTable) => void): Promise<void> {
    for (;;) {
      const entry = await this.#read(scope, id);
      const table = liveLeases(entry.value, Date.now());
      change(table);
      const op = this.kv.atomic().check(entry);
      if (Object.keys(table).length === 0) op.delete(slotsKey(scope, id));
      else op.set(slotsKey(scope, id), table, { expireIn: this.#leaseMs * 2 });
      const result = await this.#reach.call(
        "update a slot",
        () => withLockRetry(() => op.commit()),
      );
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
