/**
 * What a writer of KV sums needs to live through an outage of a remote KV
 * (the usage recorder, the spend ledger), in one place:
 * - {@linkcode UnsettledSums}: a batch is cut into chunks of a bounded size,
 *   each committed once under its own mark ({@linkcode commitOnce}); a chunk
 *   the store did not confirm is kept as it is and sent again, before
 *   anything newer, so totals are exact once the store is back;
 * - {@linkcode LastKnownTotals}: the last total read per counter plus what
 *   this process landed since, which a read answers with while the store is
 *   down.
 *
 * @module
 */

import type { KvReachability } from "./reachability.ts";
import { commitOnce } from "./write_behind.ts";

/** How one writer's chunks are committed. */
export interface UnsettledSumsOptions<T> {
  kv: Deno.Kv;
  reach: KvReachability;
  /** Names the commit for the reachability (`write usage`). */
  what: string;
  /** Prefixes each chunk's mark (`usage` gives `usage/<uuid>`). */
  markPrefix: string;
  /** Items per atomic commit, well under KV's mutation limit. */
  perCommit: number;
  /** Adds a chunk's mutations to its commit. */
  build: (op: Deno.AtomicOperation, chunk: readonly T[]) => void;
  /** A chunk landed (say, to add it to the last known totals). */
  landed?: (chunk: readonly T[]) => void;
}

/** Chunks of sums sent, or about to be, that the store has not confirmed. */
export class UnsettledSums<T> {
  readonly #chunks: { id: string; chunk: T[] }[] = [];

  constructor(private readonly options: UnsettledSumsOptions<T>) {}

  /**
   * Sends the chunks held, oldest first, then the batch `take` gives (called
   * only once those landed, so a batch keeps gathering while they do not),
   * cut into chunks. Returns that batch. A chunk that fails stays held,
   * with those behind it, and the error is thrown.
   */
  async send(take: () => readonly T[]): Promise<readonly T[]> {
    await this.#settle();
    const batch = take();
    const size = this.options.perCommit;
    for (let start = 0; start < batch.length; start += size) {
      this.#chunks.push({ id: crypto.randomUUID(), chunk: batch.slice(start, start + size) });
    }
    await this.#settle();
    return batch;
  }

  async #settle(): Promise<void> {
    const { kv, reach, what, markPrefix, build, landed } = this.options;
    while (this.#chunks.length > 0) {
      const { id, chunk } = this.#chunks[0];
      await commitOnce(kv, reach, what, `${markPrefix}/${id}`, (op) => build(op, chunk));
      this.#chunks.shift();
      landed?.(chunk);
    }
  }

  /** Every item held, oldest first. */
  items(): T[] {
    return this.#chunks.flatMap(({ chunk }) => chunk);
  }

  /** How many items are held. */
  get size(): number {
    return this.#chunks.reduce((n, { chunk }) => n + chunk.length, 0);
  }
}

/** The last total read per counter id, plus what this process landed since. */
export class LastKnownTotals {
  readonly #totals = new Map<string, number>();

  /** `limit`: past it, what is known is forgotten (a bound on memory, not an LRU). */
  constructor(private readonly limit = 10_000) {}

  /** A total just read from the store. */
  read(id: string, total: number): void {
    if (this.#totals.size > this.limit) this.#totals.clear();
    this.#totals.set(id, total);
  }

  /** The last known total, `undefined` when none was read. */
  get(id: string): number | undefined {
    return this.#totals.get(id);
  }

  /** This process's `amount` landed on `id`: a known total grows by it (an unknown one stays unknown). */
  landed(id: string, amount: number): void {
    const total = this.#totals.get(id);
    if (total !== undefined) this.#totals.set(id, total + amount);
  }
}
