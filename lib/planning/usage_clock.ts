/**
 * When this process last sent a request to each account, as a logical clock.
 * Drives least-recently-used ordering among accounts of equal priority. Kept
 * in memory on purpose: writing it to KV on every request would cost more than
 * the fairness it buys across processes.
 *
 * @module
 */

/** A per-process logical clock of account use. */
export class UsageClock {
  #tick = 0;
  readonly #lastUsed = new Map<string, number>();

  /** Records a use of the account now. */
  touch(accountId: string): void {
    this.#lastUsed.set(accountId, ++this.#tick);
  }

  /** The tick of the account's last use; 0 if never used. */
  lastUsed(accountId: string): number {
    return this.#lastUsed.get(accountId) ?? 0;
  }
}
