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
 * @module
 */

import type { KeyInfo } from "../accounts/directory.ts";
import { rpmKey } from "../kv/keys.ts";
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
  constructor(private readonly kv: Deno.Kv, private readonly usage: UsageRecorder) {}

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
    for (;;) {
      const entry = await withLockRetry(() => this.kv.get<number>(counter));
      const used = entry.value ?? 0;
      if (used >= rpm) {
        const retryAfter = Math.max(1, Math.ceil(((minute + 1) * MINUTE_MS - now) / 1000));
        return {
          limit: "rpm",
          retryAfter,
          message:
            `key "${keyId}" reached its limit of ${rpm} requests per minute; retry in ${retryAfter}s`,
        };
      }
      const result = await withLockRetry(() =>
        this.kv.atomic().check(entry).set(counter, used + 1, { expireIn: 2 * MINUTE_MS }).commit()
      );
      if (result.ok) return null;
    }
  }
}
