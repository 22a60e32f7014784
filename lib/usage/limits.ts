/**
 * Per-key limits that hold across processes: `rpm` (requests per minute) and
 * `dailyTokens` (input + output tokens per UTC day). Only keys that set a
 * limit touch KV here; every other request skips this module entirely.
 *
 * - `rpm` counts requests in fixed UTC minutes under
 *   `["switchyard", "rpm", key, minute]`, with a compare-and-set commit so two
 *   processes never both take the last slot. The counter expires after two
 *   minutes.
 * - `dailyTokens` compares the key's total for today (flushed by every
 *   process, plus this process's unflushed batch) with the limit. Totals are
 *   flushed about once a second, so a burst across processes can overshoot by
 *   what was in flight; the next request after that is refused.
 *
 * When the KV does not answer (a remote KV's outage, `docs/kv-outages.md`),
 * `rpm` is enforced per process from this process's own count of the
 * minute: it fails open across processes (each may admit up to `rpm`) but
 * stays bounded. `dailyTokens` keeps counting locally from the last total
 * read and refuses when that view says the day is used up.
 *
 * @module
 */

import type { KeyInfo } from "../accounts/directory.ts";
import { rpmKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { type UsageRecorder, utcDay } from "./recorder.ts";

/** Why a request is refused, and when to come back. */
export interface LimitRefusal {
  limit: "rpm" | "dailyTokens" | "budget";
  /** Whole seconds until the limit allows a request again. */
  retryAfter: number;
  message: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Enforces the per-key limits. */
export class KeyLimits {
  /** Requests this process admitted per key in the current minute: the outage's count. */
  readonly #local = new Map<string, { minute: number; used: number }>();

  constructor(
    private readonly kv: Deno.Kv,
    private readonly usage: UsageRecorder,
    private readonly reach: KvReachability = new KvReachability(),
  ) {}

  /** Admits a request (counting it against `rpm`) or says why not. */
  async admit(key: KeyInfo, now = Date.now()): Promise<LimitRefusal | null> {
    if (key.dailyTokens !== undefined) {
      const used = await this.usage.keyTokens(key.id, utcDay(now));
      if (used >= key.dailyTokens) {
        const retryAfter = Math.max(1, Math.ceil((DAY_MS - (now % DAY_MS)) / 1000));
        return {
          limit: "dailyTokens",
          retryAfter,
          message:
            `key "${key.id}" used its ${key.dailyTokens} tokens for today (UTC); retry in ${retryAfter}s`,
        };
      }
    }
    if (key.rpm !== undefined) return await this.#takeMinuteSlot(key.id, key.rpm, now);
    return null;
  }

  async #takeMinuteSlot(keyId: string, rpm: number, now: number): Promise<LimitRefusal | null> {
    const minute = Math.floor(now / MINUTE_MS);
    const counter = rpmKey(keyId, minute);
    const refusal = (): LimitRefusal => {
      const retryAfter = Math.max(1, Math.ceil(((minute + 1) * MINUTE_MS - now) / 1000));
      return {
        limit: "rpm",
        retryAfter,
        message:
          `key "${keyId}" reached its limit of ${rpm} requests per minute; retry in ${retryAfter}s`,
      };
    };
    try {
      for (;;) {
        const entry = await this.reach.call(
          "read rpm",
          () => withLockRetry(() => this.kv.get<number>(counter)),
        );
        const used = entry.value ?? 0;
        if (used >= rpm) return refusal();
        const result = await this.reach.call(
          "count rpm",
          () =>
            withLockRetry(() =>
              this.kv.atomic().check(entry).set(counter, used + 1, { expireIn: 2 * MINUTE_MS })
                .commit()
            ),
        );
        if (result.ok) break;
      }
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
      // Per process from here on: this process's own count of the minute.
      if (this.#count(keyId, minute, false) >= rpm) return refusal();
    }
    this.#count(keyId, minute, true);
    return null;
  }

  /** This process's admissions of `keyId` in `minute`, counting one more when `take`. */
  #count(keyId: string, minute: number, take: boolean): number {
    let mine = this.#local.get(keyId);
    if (!mine || mine.minute !== minute) {
      if (this.#local.size > 10_000) this.#local.clear();
      mine = { minute, used: 0 };
      this.#local.set(keyId, mine);
    }
    if (take) mine.used += 1;
    return mine.used;
  }
}
