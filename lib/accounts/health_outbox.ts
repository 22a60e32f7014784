/**
 * The outbox of health writes: each write runs in the order it was made, one
 * after another, and is retried until it lands while the process lives. A
 * remote KV can be down, and Deno's client then holds a call until it is
 * back (or fails it, as a cut connection does): a request's failover must
 * not wait for that. So a write made while the store answers is awaited up
 * to the KV deadline; past it, or while the store is known to be down, the
 * caller goes on at once and the write stays queued. Meanwhile its effect is
 * laid over this process's snapshot (`health_overlay.ts`), so this process
 * honours its own cooldown in the outage, and other processes when it lands.
 * A cooldown write is a checked read-max-write, so a late landing never
 * shortens a rest another process wrote meanwhile.
 *
 * On a local KV file (no reachability given) a write is awaited and its error
 * reaches the caller, as before: there is no outage to wait out.
 *
 * @module
 */

import type { LocalEffect } from "./health_overlay.ts";
import { isTransportError, type KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { RetryPause } from "../kv/retry_pause.ts";
import { logFailure } from "../log.ts";

/** Waits between the attempts of a write that failed as a transport, ms (the last repeats). */
const RETRY_DELAYS_MS = [100, 250, 500, 1_000, 2_000];

interface Queued {
  local: LocalEffect | undefined;
  write: () => Promise<void>;
  done: PromiseWithResolvers<void>;
  /** The landing's serial number, once it landed. */
  landed?: number;
}

/** Health writes in order, retried until they land. */
export class HealthOutbox {
  readonly #queue: Queued[] = [];
  /** Landed writes whose effect a read that began before the landing may have missed. */
  #landed: Queued[] = [];
  #serial = 0;
  #running = false;
  #closed = false;
  readonly #pause = new RetryPause(RETRY_DELAYS_MS);

  constructor(private readonly reach?: KvReachability) {}

  /**
   * Queues `write` (with `local`, its effect on this process's snapshot).
   * Resolves when it landed, or, on a remote KV, when the deadline passed or
   * the store is known to be down (it stays queued). Rejects with the
   * write's own error (not a transport failure: those are retried).
   */
  push(local: LocalEffect | undefined, write: () => Promise<void>): Promise<void> {
    const item: Queued = { local, write, done: Promise.withResolvers<void>() };
    this.#queue.push(item);
    void this.#pump();
    const landed = item.done.promise;
    const reach = this.reach;
    if (!reach || !Number.isFinite(reach.deadlineMs)) return landed;
    if (!reach.reachable) {
      landed.catch(logFailure("account state write failed"));
      return Promise.resolve();
    }
    landed.catch(() => {}); // A failure past the deadline: the caller has gone on; it is logged below.
    return reach.call("write account health", () => landed).catch((error) => {
      if (!(error instanceof KvUnreachable)) throw error;
      landed.catch(logFailure("account state write failed"));
    });
  }

  /** How many writes have landed so far: taken before a read, given to {@linkcode forget} after it. */
  mark(): number {
    return this.#serial;
  }

  /** Drops the landed writes a read that began at `mark` has seen. */
  forget(mark: number): void {
    this.#landed = this.#landed.filter((item) => (item.landed ?? 0) > mark);
  }

  /** The effects a read of KV may not hold yet: writes queued, or landed after the last read began. */
  effects(): LocalEffect[] {
    return [...this.#landed, ...this.#queue].flatMap((item) => item.local ? [item.local] : []);
  }

  /** Writes not landed yet. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Stops retrying (the KV is closing); what has not landed is given up. */
  close(): void {
    this.#closed = true;
    this.#pause.wake();
    for (const item of this.#queue.splice(0)) item.done.resolve();
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const item = this.#queue[0];
        const error = await this.#land(item);
        if (this.#queue[0] !== item) continue; // Closed meanwhile.
        this.#queue.shift();
        if (error !== undefined) {
          item.done.reject(error);
          continue;
        }
        item.landed = ++this.#serial;
        this.#landed.push(item);
        item.done.resolve();
      }
    } finally {
      this.#running = false;
    }
  }

  /** Runs one write until it lands (`undefined`) or fails as itself (the error). */
  async #land(item: Queued): Promise<unknown> {
    for (let attempt = 0;; attempt++) {
      try {
        await item.write();
        this.reach?.answered();
        return undefined;
      } catch (error) {
        // A local file has no outage to wait out: its error is the caller's, as before.
        if (!this.reach || !isTransportError(error) || this.#closed) return error;
        this.reach?.failed(error);
        await this.#pause.after(attempt);
      }
    }
  }
}
