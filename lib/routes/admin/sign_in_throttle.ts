/**
 * Failed admin sign-ins, slowed per client address. After `freeFailures`
 * wrong or missing tokens from one address within `windowMs`, that address
 * is refused (429) for a wait that doubles with each further failure (1 s,
 * 2 s, 4 s, ... up to `maxWaitMs`), a right token included, so guessing the
 * token costs time. A right token before that clears the address's count.
 * Counts live in this process only, in at most `maxAddresses` entries (the
 * oldest dropped first).
 *
 * @module
 */

/** An address's failures and its wait. */
interface Record {
  failures: number;
  since: number;
  blockedUntil: number;
}

/** The throttle's settings. */
export interface ThrottleSettings {
  freeFailures: number;
  windowMs: number;
  maxWaitMs: number;
  maxAddresses: number;
}

/** The defaults: 10 free failures per 10 minutes, waits up to 15 minutes. */
export const DEFAULT_THROTTLE: ThrottleSettings = {
  freeFailures: 10,
  windowMs: 10 * 60_000,
  maxWaitMs: 15 * 60_000,
  maxAddresses: 10_000,
};

/** Failed sign-ins per address. */
export class SignInThrottle {
  readonly #records = new Map<string, Record>();

  constructor(private readonly settings: ThrottleSettings = DEFAULT_THROTTLE) {}

  /** Seconds the address must wait before trying again; 0 when it may try now. */
  waitSeconds(address: string, now = Date.now()): number {
    const record = this.#records.get(address);
    if (!record || record.blockedUntil <= now) return 0;
    return Math.ceil((record.blockedUntil - now) / 1000);
  }

  /** Counts a failure; returns the address's failures in the window. */
  failed(address: string, now = Date.now()): number {
    const { freeFailures, windowMs, maxWaitMs, maxAddresses } = this.settings;
    let record = this.#records.get(address);
    if (!record || (now - record.since > windowMs && record.blockedUntil <= now)) {
      record = { failures: 0, since: now, blockedUntil: 0 };
    }
    this.#records.delete(address); // re-inserted last: the Map's order is oldest first
    record.failures++;
    const over = record.failures - freeFailures;
    if (over >= 0) record.blockedUntil = now + Math.min(1000 * 2 ** Math.min(over, 30), maxWaitMs);
    this.#records.set(address, record);
    if (this.#records.size > maxAddresses) {
      this.#records.delete(this.#records.keys().next().value!);
    }
    return record.failures;
  }

  /** A right token: the address starts afresh. */
  succeeded(address: string): void {
    this.#records.delete(address);
  }
}
