/**
 * Is the KV reachable? A remote KV (KV Connect, Deno Deploy) can be down, and
 * Deno's client then retries a call for as long as the outage lasts: an
 * awaited call would hang the request that made it. {@linkcode KvReachability}
 * bounds each call it runs by a deadline, remembers whether the store last
 * answered or failed, and reports it (`/healthz`). A local KV file does not
 * hang, so it runs its calls with no deadline and no timer.
 *
 * A call past its deadline is not cancelled (the client has no cancel): it may
 * still land when the store is back. Callers treat {@linkcode KvUnreachable}
 * as "not known to be written" and keep what they meant to write.
 *
 * Once the store failed, waiting the whole deadline again on every request
 * would make each one slow: with a probe ({@linkcode KvReachability.probeWith})
 * calls fail at once while the store is down, and one probe call at a time
 * (never on a request's path) finds out when it is back. The calls already
 * waiting when the store is found down give up at once too: a request that
 * began a call just before another one timed out would otherwise wait its own
 * whole deadline, and one whose earlier call had waited out the deadline
 * would pay two. Each flip is logged
 * once (`KV unreachable`, `KV reachable again`), naming the store without
 * credentials.
 *
 * @example
 * ```ts
 * const reach = new KvReachability({ deadlineMs: 2_000 });
 * const entry = await reach.call("read health", () => kv.get(["k"]));
 * reach.status(); // { reachable: true, ... }
 * ```
 *
 * @module
 */

import { logWarning } from "../log.ts";

/** The deadline of a remote KV call when none is configured, ms. */
export const DEFAULT_KV_DEADLINE_MS = 2_000;

/** How often a probe looks again while the store is down, ms. */
export const DEFAULT_PROBE_EVERY_MS = 250;

/** A KV location for a log line: a URL loses its user, password, query and fragment. */
export function kvLabel(location: string | undefined): string {
  if (location === undefined) return "default";
  if (!/^https?:\/\//.test(location)) return location;
  try {
    const url = new URL(location);
    return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return "remote";
  }
}

/** A KV call did not answer within its deadline, or failed as a transport. */
export class KvUnreachable extends Error {
  constructor(what: string, cause?: unknown) {
    super(`KV unreachable: ${what}${cause instanceof Error ? ` (${cause.message})` : ""}`, {
      cause,
    });
    this.name = "KvUnreachable";
  }
}

/** What `/healthz` and the logs say of the store. */
export interface KvStatus {
  reachable: boolean;
  /** Epoch ms of the first failure of the current outage, while unreachable. */
  since?: number;
  /** Epoch ms of the last call that answered. */
  lastOkAt?: number;
  /** The last failure's message (never a secret: messages of Deno's client). */
  lastError?: string;
}

/** Errors of the transport (not of the call's own input) that mean "the store did not answer". */
export function isTransportError(error: unknown): boolean {
  if (error instanceof KvUnreachable) return true;
  if (!(error instanceof Error)) return false;
  return /connect|network|timed? ?out|reset|refused|unavailable|\b5\d\d\b|401|unauthori[sz]ed|metadata|broken pipe|closed/i
    .test(error.message);
}

/** Tracks reachability and bounds KV calls. */
export class KvReachability {
  readonly #deadlineMs: number;
  readonly #now: () => number;
  #since: number | undefined;
  #lastOkAt: number | undefined;
  #lastError: string | undefined;
  readonly #listeners = new Set<(status: KvStatus) => void>();
  readonly #label: string | undefined;
  #probe: { run: () => Promise<unknown>; everyMs: number } | undefined;
  #probing = false;
  #probeTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** The calls waiting for the store, each with a way to give it up as unreachable. */
  readonly #waiting = new Set<(since: string) => void>();

  /**
   * `deadlineMs` of `Infinity` (a local file) runs calls without a timer.
   * `label` names the store in the log lines of a flip ({@linkcode kvLabel});
   * without one nothing is logged.
   */
  constructor(options: { deadlineMs?: number; now?: () => number; label?: string } = {}) {
    this.#deadlineMs = options.deadlineMs ?? Infinity;
    this.#now = options.now ?? Date.now;
    this.#label = options.label;
  }

  /**
   * While the store is down, calls fail at once and `probe` (a cheap read)
   * runs, one at a time and every `everyMs` after a failure, until it answers.
   */
  probeWith(probe: () => Promise<unknown>, everyMs = DEFAULT_PROBE_EVERY_MS): void {
    this.#probe = { run: probe, everyMs };
    if (!this.reachable) this.#startProbe();
  }

  /**
   * Asks the store once, within the deadline, whether it is back (a shutdown
   * does so before its last writes: the probe may not have noticed yet).
   */
  async recheck(): Promise<boolean> {
    if (this.reachable || !this.#probe) return this.reachable;
    try {
      await this.#bounded("recheck", this.#probe.run());
    } catch {
      return false;
    }
    this.answered();
    return true;
  }

  /** Stops probing (shutdown). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  /** The deadline each call gets, ms (`Infinity` for none). */
  get deadlineMs(): number {
    return this.#deadlineMs;
  }

  /** Is the store believed reachable (no failure since the last answer)? */
  get reachable(): boolean {
    return this.#since === undefined;
  }

  /**
   * Runs `operation` within the deadline. A transport failure or the deadline
   * marks the store unreachable and throws {@linkcode KvUnreachable}; any
   * other error is the call's own and is rethrown as it is.
   */
  async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.#probe && !this.reachable) {
      throw new KvUnreachable(`${what}: down since ${new Date(this.#since!).toISOString()}`);
    }
    let result: T;
    try {
      result = await this.#bounded(what, operation());
    } catch (error) {
      if (!isTransportError(error)) throw error;
      this.failed(error);
      throw error instanceof KvUnreachable ? error : new KvUnreachable(what, error);
    }
    this.answered();
    return result;
  }

  /** Records that the store answered (also for calls made outside {@linkcode call}, such as a watch). */
  answered(): void {
    this.#lastOkAt = this.#now();
    if (this.#since === undefined) return;
    const downMs = this.#now() - this.#since;
    this.#since = undefined;
    this.#lastError = undefined;
    if (this.#label !== undefined) logWarning("KV reachable again", { kv: this.#label, downMs });
    this.#tell();
  }

  /** Records a failure seen outside {@linkcode call} (a watch stream that broke). */
  failed(error: unknown): void {
    this.#lastError = messageOf(error);
    if (this.#since !== undefined) return;
    this.#since = this.#now();
    if (this.#label !== undefined) {
      logWarning("KV unreachable", { kv: this.#label, error: this.#lastError });
    }
    this.#startProbe();
    this.#giveUpWaiting();
    this.#tell();
  }

  /** The store's state for `/healthz`. */
  status(): KvStatus {
    const status: KvStatus = { reachable: this.reachable };
    if (this.#since !== undefined) status.since = this.#since;
    if (this.#lastOkAt !== undefined) status.lastOkAt = this.#lastOkAt;
    if (this.#lastError !== undefined) status.lastError = this.#lastError;
    return status;
  }

  /** Calls `listener` whenever reachability flips; returns the unsubscribe. */
  onChange(listener: (status: KvStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** One probe at a time; a probe that hangs (the client retrying) ends the outage when it answers. */
  #startProbe(): void {
    if (!this.#probe || this.#probing || this.#closed || this.reachable) return;
    const { run, everyMs } = this.#probe;
    this.#probing = true;
    run().then(
      () => {
        this.#probing = false;
        this.answered();
      },
      (error) => {
        this.#probing = false;
        if (!this.#closed) this.#lastError = messageOf(error);
        this.#probeTimer = setTimeout(() => {
          this.#probeTimer = undefined;
          this.#startProbe();
        }, everyMs);
        Deno.unrefTimer(this.#probeTimer as unknown as number);
      },
    );
  }

  #tell(): void {
    const status = this.status();
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch {
        // A listener never breaks a KV call.
      }
    }
  }

  /** With a probe, the store is known down: every call still waiting gives up now. */
  #giveUpWaiting(): void {
    if (!this.#probe) return;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    const since = new Date(this.#since!).toISOString();
    for (const giveUp of waiting) giveUp(since);
  }

  #bounded<T>(what: string, pending: Promise<T>): Promise<T> {
    if (!Number.isFinite(this.#deadlineMs)) return pending;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let giveUp: ((since: string) => void) | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KvUnreachable(`${what}: no answer in ${this.#deadlineMs} ms`)),
        this.#deadlineMs,
      );
      giveUp = (since) =>
        reject(new KvUnreachable(`${what}: another call found the store down at ${since}`));
    });
    this.#waiting.add(giveUp!);
    // The abandoned call may settle later; its rejection must not go unhandled.
    pending.catch(() => {});
    return Promise.race([pending, deadline]).finally(() => {
      clearTimeout(timer);
      this.#waiting.delete(giveUp!);
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}
