/**
 * "Has anything I read changed since?" for a remote KV (KV Connect, Deno
 * Deploy), where the {@linkcode FileChangeSentinel} has no file to stat: one
 * `kv.watch` stream per process over the keys every writer bumps (the
 * generation of account state, the directory's, ...). While the stream is
 * live and has delivered nothing since the last verified read, nothing
 * changed, and a request needs no KV round trip.
 *
 * Why that is sound: the stream's first delivery is the keys' state when it
 * (re)connected, and every commit after it is delivered. A read verifies the
 * count of deliveries taken before it began, so any change delivered during
 * or after the read makes the next check fail. The stated bound is the
 * stream's delivery delay: a commit is honoured by every request that
 * arrives after it was delivered (see docs/several-hosts.md for figures).
 *
 * Deno's client reconnects a broken stream by itself, silently, and delivers
 * the keys again when it is back: the stream is opened `raw`, so that
 * re-delivery counts as a change too. A stream that goes quiet without
 * breaking is caught by a heartbeat read every `heartbeatMs`: versionstamps
 * that differ from the delivered ones twice in a row restart the stream.
 *
 * @module
 */

import type { KvReachability } from "./reachability.ts";
import { RetryPause } from "./retry_pause.ts";

/** How often the heartbeat compares the watched keys with what the stream delivered, ms. */
export const DEFAULT_WATCH_HEARTBEAT_MS = 5_000;

/** Waits before opening the stream again after it ended or failed, ms (the last repeats). */
export const REOPEN_DELAYS_MS = [50, 250, 1_000, 2_000];

/** Options of {@linkcode WatchSignal}. */
export interface WatchSignalOptions {
  /** Told when the stream delivers (answered) or fails. */
  reach?: KvReachability;
  /** Called after every delivery (say, to refresh in the background). */
  onChange?: () => void;
  heartbeatMs?: number;
}

/** One watch stream over a set of keys, as a change signal. */
export class WatchSignal {
  #keys: Deno.KvKey[] = [];
  /** Bumped by every delivery and every break of the stream. */
  #deliveries = 0;
  #verified = -1;
  #live = false;
  /** The versionstamps the stream last delivered, joined. */
  #delivered: string | undefined;
  #suspect: string | undefined;
  #instance = 0;
  #reader: ReadableStreamDefaultReader<Deno.KvEntryMaybe<unknown>[]> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #beating = false;
  #closed = false;
  readonly #pause = new RetryPause(REOPEN_DELAYS_MS);

  constructor(private readonly kv: Deno.Kv, private readonly options: WatchSignalOptions = {}) {}

  /** Watches `keys` from now on; the same keys again change nothing. */
  watch(keys: readonly Deno.KvKey[]): void {
    if (this.#closed || sameKeys(keys, this.#keys)) return;
    this.#keys = [...keys];
    this.#restart();
    if (this.#heartbeat === undefined) {
      this.#heartbeat = setInterval(
        () => void this.#beat(),
        this.options.heartbeatMs ?? DEFAULT_WATCH_HEARTBEAT_MS,
      );
      Deno.unrefTimer(this.#heartbeat as unknown as number);
    }
  }

  /** Is the stream live with nothing delivered since the last verified read? */
  unchanged(): boolean {
    return this.#live && this.#deliveries === this.#verified;
  }

  /** Is the stream connected (it delivered since it last opened)? */
  get live(): boolean {
    return this.#live;
  }

  /**
   * This process wrote: its own write reaches it through the stream only
   * later, so the next read must not be skipped (read-your-writes).
   */
  invalidate(): void {
    this.#deliveries++;
  }

  /** Taken just before a read; given to {@linkcode verified} once the read is done. */
  observe(): number {
    return this.#deliveries;
  }

  /** A read that began after `observe()` returned `mark` has seen everything delivered up to it. */
  verified(mark: number): void {
    this.#verified = mark;
  }

  /** Ends the stream and the heartbeat. */
  close(): void {
    this.#closed = true;
    this.#live = false;
    clearInterval(this.#heartbeat);
    this.#pause.wake();
    this.#reader?.cancel().catch(() => {});
  }

  #restart(): void {
    const instance = ++this.#instance;
    this.#live = false;
    this.#deliveries++;
    this.#reader?.cancel().catch(() => {});
    this.#reader = undefined;
    void this.#run(instance);
  }

  async #run(instance: number): Promise<void> {
    for (let attempt = 0; !this.#closed && instance === this.#instance; attempt++) {
      try {
        const reader = this.kv.watch(this.#keys, { raw: true }).getReader();
        this.#reader = reader;
        for (;;) {
          const { done, value } = await reader.read();
          if (done || instance !== this.#instance) break;
          attempt = 0;
          this.#delivered = value.map((entry) => entry.versionstamp ?? "-").join(",");
          this.#live = true;
          this.#deliveries++;
          this.options.reach?.answered();
          this.options.onChange?.();
        }
      } catch (error) {
        if (isClosedKv(error)) return this.close();
        if (!this.#closed) this.options.reach?.failed(error);
      }
      if (instance !== this.#instance) return;
      this.#live = false;
      this.#deliveries++;
      await this.#pause.after(attempt);
    }
  }

  /** Compares the keys' versionstamps with the delivered ones; a stream stuck on old ones restarts. */
  async #beat(): Promise<void> {
    if (this.#beating || !this.#live || this.#closed) return;
    this.#beating = true;
    const keys = this.#keys;
    const delivered = this.#delivered;
    try {
      const read = async () => await this.kv.getMany<unknown[]>(keys);
      const entries = await (this.options.reach?.call("watch heartbeat", read) ?? read());
      const now = entries.map((entry) => entry.versionstamp ?? "-").join(",");
      if (keys !== this.#keys || now === this.#delivered) {
        this.#suspect = undefined;
      } else if (this.#suspect === now && delivered === this.#delivered) {
        this.#suspect = undefined;
        this.#restart();
      } else {
        this.#suspect = now;
        this.#deliveries++; // Read again: the stream may be late.
      }
    } catch {
      // Unreachable: the reachability knows; a request serves the last snapshot.
    } finally {
      this.#beating = false;
    }
  }
}

function sameKeys(a: readonly Deno.KvKey[], b: readonly Deno.KvKey[]): boolean {
  return a.length === b.length && a.every((key, i) => keyText(key) === keyText(b[i]));
}

function keyText(key: Deno.KvKey): string {
  return key.map((part) => `${typeof part}:${String(part)}`).join("/");
}

function isClosedKv(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    (error instanceof Error &&
      /database.*closed|closed.*database|resource.*closed/i.test(error.message));
}
