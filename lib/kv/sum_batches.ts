/**
 * One home for a writer of KV sums that must stay exact through an outage of
 * a remote KV (the usage recorder, the spend ledger):
 * - requests add to an in-memory batch ({@linkcode BatchedSums.entry}),
 *   written behind ({@linkcode WriteBehind}) about every `flushMs`;
 * - a batch is cut into chunks of at most `perCommit` items, each committed
 *   once under its own mark ({@linkcode commitOnce}); a chunk the store did
 *   not confirm is kept as it is and sent again before anything newer, and
 *   the batch meanwhile keeps gathering, so totals are exact once the store
 *   is back;
 * - {@linkcode LastKnownTotals}: the last total read per counter plus what
 *   this process landed since, which a read answers with while the store is
 *   down.
 *
 * @module
 */

import type { KvReachability } from "./reachability.ts";
import { commitOnce, WriteBehind } from "./write_behind.ts";

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

/** How one writer's sums are batched and committed. */
export interface BatchedSumsOptions<T> {
  kv: Deno.Kv;
  reach: KvReachability;
  /** Names the writer: the commit is `write <name>`, the chunk marks `<name>/<uuid>`. */
  name: string;
  flushMs: number;
  /** Items per atomic commit, well under KV's mutation limit. */
  perCommit: number;
  /** Adds a chunk's mutations to its commit. */
  build: (op: Deno.AtomicOperation, chunk: readonly T[]) => void;
  /** The last known total an item adds to once it landed, and by how much. */
  known: (item: T) => [id: string, amount: number];
  /** Runs after a whole batch landed (the spend ledger sweeps old buckets). */
  afterBatch?: (batch: readonly T[]) => Promise<void>;
}

/** Sums batched in memory, written behind in chunks that are each committed once. */
export class BatchedSums<T> {
  /** The batch not sent yet, by item id. */
  #pending = new Map<string, T>();
  /** Chunks sent that the store did not confirm: sent again, as they are, before anything newer. */
  readonly #unsettled: { id: string; chunk: T[] }[] = [];
  readonly #writer: WriteBehind;
  /** What a read answers with while the store is down. */
  readonly lastKnown = new LastKnownTotals();

  constructor(private readonly options: BatchedSumsOptions<T>) {
    this.#writer = new WriteBehind(() => this.#write(), options.flushMs, options.name);
  }

  /** The batch's item `id` (made by `create` if new) to add to; the write is scheduled. */
  entry(id: string, create: () => T): T {
    let item = this.#pending.get(id);
    if (!item) {
      item = create();
      this.#pending.set(id, item);
    }
    this.#writer.schedule();
    return item;
  }

  /** The items not sent yet. */
  pending(): IterableIterator<T> {
    return this.#pending.values();
  }

  /** Every item the store has not confirmed: the batch and the unsettled chunks. */
  held(): T[] {
    return [...this.#pending.values(), ...this.#unsettled.flatMap(({ chunk }) => chunk)];
  }

  /** How many items the store has not confirmed. */
  get size(): number {
    return this.#pending.size + this.#unsettled.reduce((n, { chunk }) => n + chunk.length, 0);
  }

  /** Writes now. Concurrent calls share one write order. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Stops the timer and writes what is left. */
  close(): Promise<void> {
    return this.#writer.close();
  }

  async #write(): Promise<void> {
    await this.#settle();
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    const size = this.options.perCommit;
    for (let start = 0; start < batch.length; start += size) {
      this.#unsettled.push({ id: crypto.randomUUID(), chunk: batch.slice(start, start + size) });
    }
    await this.#settle(); // On failure the chunks stay for the next flush (scheduled).
    await this.options.afterBatch?.(batch);
  }

  async #settle(): Promise<void> {
    const { kv, reach, name, build, known } = this.options;
    while (this.#unsettled.length > 0) {
      const { id, chunk } = this.#unsettled[0];
      await commitOnce(kv, reach, `write ${name}`, `${name}/${id}`, (op) => build(op, chunk));
      this.#unsettled.shift();
      for (const item of chunk) this.lastKnown.landed(...known(item));
    }
  }
}
