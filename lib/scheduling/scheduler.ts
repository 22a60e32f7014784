/**
 * Which accounts a request may try, in which order. Pure: it sees the group's
 * accounts, their shared health and when this process last used each one.
 * Lower `priority` goes first; among equals the least recently used account
 * goes first, which spreads load and lets each account's limits recover.
 *
 * Two refinements: an account resting for the request's model only (a
 * model-scoped cooldown) is left out for that model alone; and a disabled
 * account whose half-open probe is due is named as `probe`, for the caller
 * to claim (one request across all processes) and try first.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import type { HealthSnapshot } from "../state/account_state.ts";

/** The accounts a request may try, or why there are none. */
export type Plan =
  & (
    | { kind: "ready"; accounts: Account[] }
    /**
     * Every candidate is cooling; the first returns at `retryAt` (epoch ms).
     * `modelUnavailable`: all that rest, rest only because they lack the request's model.
     */
    | { kind: "cooling"; retryAt: number; modelUnavailable?: true }
    /** No candidate at all, or every one is disabled. */
    | { kind: "unavailable"; reason: string }
  )
  & {
    /** A disabled account whose half-open probe is due. */
    probe?: Account;
  };

/** Orders the schedulable candidates for one request. */
export function planAttempts(
  candidates: readonly Account[],
  health: HealthSnapshot,
  lastUsed: (accountId: string) => number,
  now: number,
  /** The request's model, read only when some candidate rests for a model. */
  model: () => string | undefined = () => undefined,
): Plan {
  if (candidates.length === 0) {
    return { kind: "unavailable", reason: "no account in this key's group serves this API" };
  }
  const byPreference = (a: Account, b: Account) =>
    a.priority - b.priority || lastUsed(a.id) - lastUsed(b.id);
  const ready: Account[] = [];
  let retryAt = Infinity;
  let allMissModel = true;
  let probe: Account | undefined;
  for (const account of candidates) {
    const condition = health.condition(account.id, now);
    if (condition === "disabled") {
      const probeAt = health.nextProbeAt(account.id);
      if (probeAt !== undefined && probeAt <= now && (!probe || byPreference(account, probe) < 0)) {
        probe = account;
      }
      continue;
    }
    const accountUntil = condition === "cooldown" ? health.health(account.id).cooldownUntil : 0;
    const modelUntil = health.modelCooldownUntil(account.id, model);
    if (accountUntil > now || modelUntil > now) {
      retryAt = Math.min(retryAt, Math.max(accountUntil, modelUntil));
      allMissModel &&= accountUntil <= now &&
        modelReason(health, account.id, model) === "modelUnavailable";
      continue;
    }
    ready.push(account);
  }
  const extra = probe ? { probe } : {};
  if (ready.length > 0) return { kind: "ready", accounts: ready.sort(byPreference), ...extra };
  if (retryAt !== Infinity) {
    const missing = allMissModel ? { modelUnavailable: true as const } : {};
    return { kind: "cooling", retryAt, ...missing, ...extra };
  }
  return { kind: "unavailable", reason: "every account in this key's group is disabled", ...extra };
}

function modelReason(
  health: HealthSnapshot,
  accountId: string,
  model: () => string | undefined,
): string | undefined {
  const name = model();
  return name === undefined ? undefined : health.health(accountId).models?.get(name)?.reason;
}
