/**
 * The pause between the attempts of a retry loop against KV: attempt `n`
 * waits the `n`-th of a list of delays (the last one repeats), and `wake`
 * ends a pause at once, so a loop that is closing does not wait its delay
 * out. One home for the health outbox's write retries and the watch
 * signal's reopening of its stream.
 *
 * @module
 */

/** The wait before attempt `attempt` (from 0): its delay, the last one once the list runs out. */
export function retryDelay(delaysMs: readonly number[], attempt: number): number {
  return delaysMs[Math.min(Math.max(0, attempt), delaysMs.length - 1)];
}

/** Pauses by a list of delays that {@linkcode RetryPause.wake} cuts short. */
export class RetryPause {
  #wake: (() => void) | undefined;

  constructor(private readonly delaysMs: readonly number[]) {}

  /** Waits the delay of `attempt`, or until {@linkcode wake}. */
  after(attempt: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, retryDelay(this.delaysMs, attempt));
      this.#wake = done;
    });
  }

  /** Ends the pause under way now (nothing when none is). */
  wake(): void {
    this.#wake?.();
  }
}
