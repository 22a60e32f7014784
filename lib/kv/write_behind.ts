/**
 * Write-behind for batched KV writes (usage totals, the per-minute series):
 * a batch is written `delayMs` after the first change, writes run one after
 * another, and `close` writes what is left. The timer never keeps a finished
 * process (or test) alive; shutdown flushes.
 *
 * @module
 */

import { logFailure } from "../log.ts";

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
      this.flush().catch(logFailure(`${this.what} flush failed`));
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
