/**
 * Deadlines that share one timer. Every upstream attempt waits for its
 * response headers under a deadline, and every request body read waits under
 * one for its next bytes; a timer of its own per wait (created, then cleared
 * when the wait ends) was 2% of the gateway's CPU under load, each. Deadlines with the same wait come due in the order they were
 * set, so they queue in a `Set` (insertion order, O(1) removal) behind one
 * timer armed for the oldest; the timer is cleared whenever the queue
 * empties, so nothing is left pending between requests. A deadline that
 * would come due before the newest queued one (the wait was shortened by a
 * config change) gets a timer of its own instead, so every deadline fires
 * when its own timer would have.
 *
 * @module
 */

/** How early a timer may fire by the event loop's clock and still count as due. */
const CLOCK_SLACK_MS = 1;

interface Entry {
  at: number;
  expire: () => void;
}

/** A queue of deadlines behind one timer. */
export class Deadlines {
  readonly #queue = new Set<Entry>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #newest = -Infinity;

  /** Calls `expire` after `ms` unless the returned function is called first. */
  after(ms: number, expire: () => void): () => void {
    const at = performance.now() + ms;
    if (at < this.#newest && this.#queue.size > 0) {
      const timer = setTimeout(expire, ms);
      return () => clearTimeout(timer);
    }
    const entry = { at, expire };
    this.#newest = at;
    this.#queue.add(entry);
    if (this.#timer === undefined) this.#arm(ms);
    return () => {
      if (!this.#queue.delete(entry) || this.#queue.size > 0) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
    };
  }

  /** Deadlines waiting now. */
  get size(): number {
    return this.#queue.size;
  }

  /** Whether the shared timer is set (it is exactly while deadlines wait). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, ms));
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (const entry of this.#queue) {
      // Timers count from the event loop's cached clock, which may run a little behind.
      if (entry.at > now + CLOCK_SLACK_MS) break;
      this.#queue.delete(entry);
      entry.expire();
    }
    const next = this.#queue.values().next();
    if (!next.done && this.#timer === undefined) this.#arm(next.value.at - now);
  }
}
