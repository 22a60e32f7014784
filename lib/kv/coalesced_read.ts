/**
 * A read that is shared by every caller that can share it. `fresh()` always
 * resolves with the result of a read that *started after* the call, so a
 * caller never sees state older than its own arrival, yet under load one KV
 * read serves every request that arrived while the previous read ran.
 *
 * @module
 */

/** Coalesces concurrent calls of an async read. */
export class CoalescedRead<T> {
  #inflight: Promise<T> | undefined;
  #queued: Promise<T> | undefined;

  constructor(private readonly read: () => Promise<T>) {}

  /** The result of a read that began no earlier than this call. */
  fresh(): Promise<T> {
    if (this.#queued) return this.#queued;
    if (!this.#inflight) return this.#start();
    // The running read began before us: join the next one.
    const queued = this.#inflight.then(noop, noop).then(() => {
      this.#queued = undefined;
      return this.#start();
    });
    this.#queued = queued;
    return queued;
  }

  #start(): Promise<T> {
    const run = this.read();
    this.#inflight = run;
    run.then(noop, noop).then(() => {
      if (this.#inflight === run) this.#inflight = undefined;
    });
    return run;
  }
}

function noop(): void {}
