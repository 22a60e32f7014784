/**
 * Writes that must land even if the KV is down when they are made (response
 * owners, thinking signers, session bindings, last tests, failover log): a
 * write is tried at once within the KV deadline, and one that could not
 * reach the store is kept and tried again whenever the store is back and
 * every `everyMs` while it is down, until it lands, for as long as the
 * process lives. The caller never waits longer than the deadline.
 *
 * Only idempotent writes belong here (a `set` of a value): a write past its
 * deadline may still land, and its retry then writes the same value again.
 * Summed batches are kept by their writer instead (`write_behind.ts`).
 * Memory is bounded: a newer write of the same id replaces the kept one, and
 * past `limit` the oldest kept write is dropped (and counted in the log).
 *
 * @module
 */

import { logError, logWarning } from "../log.ts";
import { type KvReachability, KvUnreachable } from "./reachability.ts";

/** Kept writes per queue when no limit is given. */
export const DEFAULT_RETRY_LIMIT = 10_000;

/** Keeps and retries writes the KV did not take. */
export class RetryQueue {
  readonly #kept = new Map<string, () => Promise<unknown>>();
  readonly #limit: number;
  readonly #everyMs: number;
  #draining: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dropped = 0;
  #closed = false;
  readonly #unsubscribe: () => void;

  constructor(
    private readonly reach: KvReachability,
    private readonly what: string,
    options: { limit?: number; everyMs?: number } = {},
  ) {
    this.#limit = options.limit ?? DEFAULT_RETRY_LIMIT;
    this.#everyMs = options.everyMs ?? 1_000;
    this.#unsubscribe = reach.onChange((status) => {
      if (status.reachable) void this.drain();
    });
  }

  /** How many writes wait for the store. */
  get size(): number {
    return this.#kept.size;
  }

  /**
   * Writes now; resolves when the write landed or was kept for a retry (it
   * never rejects: a failure that is not the store's is logged and dropped).
   */
  async put(id: string, write: () => Promise<unknown>): Promise<void> {
    if (this.#kept.has(id)) {
      // An older value waits for this id: this one takes its place, so the older never lands last.
      this.#keep(id, write);
      await this.drain();
      return;
    }
    try {
      await this.reach.call(this.what, write);
    } catch (error) {
      if (error instanceof KvUnreachable) this.#keep(id, write);
      else logError(`${this.what} failed`, { error: String(error) });
    }
  }

  /** Tries every kept write again, oldest first, stopping at the first the store does not take. */
  drain(): Promise<void> {
    this.#draining ??= this.#drain().finally(() => this.#draining = undefined);
    return this.#draining;
  }

  /** Waits for a retry under way (tests and shutdown); kept writes stay kept. */
  async settled(): Promise<void> {
    await this.#draining;
  }

  /** Shutdown: one last try; what the store still does not take is logged as lost. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.drain();
    if (this.#kept.size > 0) {
      logWarning("KV writes lost at shutdown: the store did not answer", {
        what: this.what,
        writes: this.#kept.size,
      });
    }
  }

  async #drain(): Promise<void> {
    while (this.#kept.size > 0) {
      const [id, write] = this.#kept.entries().next().value!;
      try {
        await this.reach.call(this.what, write);
        if (this.#kept.get(id) === write) this.#kept.delete(id);
      } catch (error) {
        if (error instanceof KvUnreachable) break;
        if (this.#kept.get(id) === write) this.#kept.delete(id);
        logError(`${this.what} failed`, { error: String(error) });
      }
    }
    if (this.#kept.size > 0) this.#later();
  }

  #keep(id: string, write: () => Promise<unknown>): void {
    this.#kept.delete(id);
    this.#kept.set(id, write);
    if (this.#kept.size > this.#limit) {
      this.#kept.delete(this.#kept.keys().next().value!);
      if (this.#dropped++ % 1000 === 0) {
        logWarning("KV writes dropped: too many kept while the store is down", {
          what: this.what,
          dropped: this.#dropped,
        });
      }
    }
    this.#later();
  }

  #later(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.drain();
    }, this.#everyMs);
    Deno.unrefTimer(this.#timer as unknown as number);
  }
}
