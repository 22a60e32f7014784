/**
 * Deadlines that share one timer. Every upstream attempt waits for its
 * response headers under a deadline, and every request body read waits under
 * one for its next bytes; a timer of its own per wait (created, then cleared
 * when the wait ends) was 2% of the gateway's CPU under load, each.
 * Deadlines with the same wait come due in the order they were set, so they
 * queue in a `Set` (insertion order, O(1) removal) behind one timer armed for
 * the oldest. When the queue empties the timer stays, unref'd (clearing it
 * and arming a new one for the next wait cost as much again: a small body's
 * read or a fast upstream's headers empty the queue between requests), so
 * it holds the process open exactly while deadlines wait; the next deadline
 * refs it again, and when it fires with nothing due it simply stops. A deadline that would come due before the timer (the
 * wait was shortened by a config change, or differs per call) re-arms it, or,
 * while others wait, gets a timer of its own, so every deadline fires when
 * its own timer would have.
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
  /** When the timer comes due (`performance.now()` time), while it is set. */
  #dueAt = Infinity;
  /** The timer holds the process open (deadlines wait); unref'd once the queue empties. */
  #held = false;
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
    else if (at < this.#dueAt) {
      // The queue was empty, and the timer left from a longer wait would be late for this one.
      clearTimeout(this.#timer);
      this.#arm(ms);
    } else if (!this.#held) {
      Deno.refTimer(this.#timer);
      this.#held = true;
    }
    return () => {
      if (!this.#queue.delete(entry) || this.#queue.size > 0 || this.#timer === undefined) return;
      Deno.unrefTimer(this.#timer);
      this.#held = false;
    };
  }

  /** Deadlines waiting now. */
  get size(): number {
    return this.#queue.size;
  }

  /** Whether the shared timer holds the process open: exactly while deadlines wait. */
  get armed(): boolean {
    return this.#held;
  }

  #arm(ms: number): void {
    const wait = Math.max(0, ms);
    this.#dueAt = performance.now() + wait;
    this.#timer = setTimeout(() => this.#fire(), wait);
    this.#held = true;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#held = false;
    this.#dueAt = Infinity;
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
