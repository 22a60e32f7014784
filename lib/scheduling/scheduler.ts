/**
 * Which accounts a request may try, in which order. Pure: it sees the group's
 * accounts, their shared health and when this process last used each one.
 * Lower `priority` goes first; among equals the least recently used account
 * goes first, which spreads load and lets each account's limits recover.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import type { HealthSnapshot } from "../state/account_state.ts";

/** The accounts a request may try, or why there are none. */
export type Plan =
  | { kind: "ready"; accounts: Account[] }
  /** Every candidate is cooling; the first returns at `retryAt` (epoch ms). */
  | { kind: "cooling"; retryAt: number }
  /** No candidate at all, or every one is disabled. */
  | { kind: "unavailable"; reason: string };

/** Orders the schedulable candidates for one request. */
export function planAttempts(
  candidates: readonly Account[],
  health: HealthSnapshot,
  lastUsed: (accountId: string) => number,
  now: number,
): Plan {
  if (candidates.length === 0) {
    return { kind: "unavailable", reason: "no account in this key's group serves this API" };
  }
  const ready: Account[] = [];
  let retryAt = Infinity;
  for (const account of candidates) {
    const condition = health.condition(account.id, now);
    if (condition === "active") ready.push(account);
    else if (condition === "cooldown") {
      retryAt = Math.min(retryAt, health.health(account.id).cooldownUntil);
    }
  }
  if (ready.length > 0) {
    ready.sort((a, b) => a.priority - b.priority || lastUsed(a.id) - lastUsed(b.id));
    return { kind: "ready", accounts: ready };
  }
  if (retryAt !== Infinity) return { kind: "cooling", retryAt };
  return { kind: "unavailable", reason: "every account in this key's group is disabled" };
}
