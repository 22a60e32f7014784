/**
 * Write-behind for batched KV writes (usage totals, the per-minute series):
 * a batch is written `delayMs` after the first change, writes run one after
 * another, and `close` writes what is left. The timer never keeps a finished
 * process (or test) alive; shutdown flushes.
 *
 * A remote KV may not answer a commit within its deadline and still apply it
 * later. A writer of sums (not idempotent) therefore commits each chunk with
 * {@linkcode commitOnce} and keeps a chunk that failed as it is, with its id,
 * to send again before anything newer: the chunk's mark makes the second
 * try a no-op if the first one landed, so totals stay exact.
 *
 * @module
 */

import { logFailure } from "../log.ts";
import { writeOnceKey } from "./keys.ts";
import { type KvReachability, KvUnreachable } from "./reachability.ts";
import { withLockRetry } from "./retry.ts";

/** How long a batch's mark is kept: far longer than any outage a process lives through. */
const MARK_TTL_MS = 24 * 3600_000;

/**
 * Commits the mutations `build` adds, at most once for `batchId`, within the
 * KV deadline (`KvUnreachable` when the store does not answer). A commit
 * refused because the mark exists means an earlier try landed: done too.
 */
export async function commitOnce(
  kv: Deno.Kv,
  reach: KvReachability,
  what: string,
  batchId: string,
  build: (op: Deno.AtomicOperation) => void,
): Promise<void> {
  const mark = writeOnceKey(batchId);
  await reach.call(what, () =>
    withLockRetry(() => {
      const op = kv.atomic().check({ key: mark, versionstamp: null })
        .set(mark, true, { expireIn: MARK_TTL_MS });
      build(op);
      return op.commit();
    }));
}

/** Schedules and serialises one writer's flushes. */
export class WriteBehind {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> = Promise.resolve();
  #closed = false;

  /**
   * `write` takes the whole batch; when it fails it keeps what it could not
   * write and throws, and the next flush is scheduled. `what` names it in the log.
   */
  constructor(
    private readonly write: () => Promise<void>,
    private readonly delayMs: number,
    private readonly what: string,
  ) {}

  /** Something was batched: write it within `delayMs`. */
  schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((error) => {
        // A KV that is down was logged once when it went; the retry follows (scheduled).
        if (!(error instanceof KvUnreachable)) logFailure(`${this.what} flush failed`)(error);
      });
    }, this.delayMs);
    Deno.unrefTimer(timer as unknown as number);
    this.#timer = timer;
  }

  /** Writes now. Concurrent calls share one write order. */
  flush(): Promise<void> {
    const run = this.#running.then(async () => {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      try {
        await this.write();
      } catch (error) {
        this.schedule();
        throw error;
      }
    });
    this.#running = run.catch(() => {});
    return run;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
