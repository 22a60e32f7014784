/**
 * The one planner: which accounts a request may try, and in which order.
 * Pure: it sees the candidates, their shared health, when this process last
 * used each, their quota snapshots and the session's binding, and decides
 * every ordering rule in one place:
 *
 * 1. health: cooling and disabled accounts are left out; an account resting
 *    for the request's model only (a model-scoped cooldown) is left out for
 *    that model alone;
 * 2. serving: accounts that cannot serve the request (`serving.ts`) are
 *    left out;
 * 3. `priority` (lower first), then native before translated, then, by the
 *    group's `order`: least recently used (`least-recently-used`, the
 *    default), which spreads load and lets each account's limits recover, or
 *    the soonest quota reset first (`resets-first`: use a window before it
 *    resets; unknown resets after known ones, then least recently used);
 * 4. quota: accounts whose last quota snapshot shows more use than their
 *    `avoidAbovePercent` (the account's, else the group's) go after the
 *    others, and accounts with a spent window (100 % used, until its reset)
 *    after those: they are tried only when no other account could serve;
 * 5. session binding: the account the conversation is bound to goes first,
 *    if it can serve right now (availability beats stickiness; a spent
 *    window cannot serve, a window above the threshold can);
 * 6. probes: a disabled account whose half-open probe is due is named as
 *    `probe`, for the caller to claim (one request across all processes);
 *    {@linkcode attemptOrder} puts a claimed probe first of all;
 * 7. slot availability: {@linkcode attemptOrder} puts the account that holds
 *    a concurrency slot right after the probe.
 *
 * @module
 */

import type { HealthSnapshot } from "../accounts/health_snapshot.ts";
import type { QuotaStanding } from "../accounts/quota.ts";
import type { Account, GroupOrder } from "../config/types.ts";
import type { ServingMode } from "./serving.ts";

/** What the planner decides from. */
export interface PlanInput {
  /** The accounts of the key's group that serve the request's API. */
  candidates: readonly Account[];
  health: HealthSnapshot;
  now: number;
  /** The tick of this process's last use of an account (`usage_clock.ts`); 0 if never. */
  lastUsed(accountId: string): number;
  /** The request's model, read only when some candidate rests for a model. */
  model?: () => string | undefined;
  /** Where an account stands on its quota windows, when known (`lib/accounts/quota.ts`). */
  quota?(accountId: string): QuotaStanding | undefined;
  /** The group's `avoidAbovePercent`; an account's own wins. */
  avoidAbovePercent?: number;
  /** The group's `order` among accounts of equal priority (default `least-recently-used`). */
  order?: GroupOrder;
  /** The account the request's session is bound to. */
  boundAccount?: string;
  /** How an account serves the request (`serving.ts`); `null` leaves it out. All native if absent. */
  mode?(account: Account): ServingMode | null;
}

/** The accounts a request may try, or why there are none. */
export type Plan =
  & (
    /** `accounts` in the order to try them. */
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

/** Plans one request. */
export function planAttempts(input: PlanInput): Plan {
  const { health, now, lastUsed } = input;
  const model = input.model ?? (() => undefined);
  const mode = input.mode ?? (() => "native");
  const modes = new Map<Account, ServingMode>();
  for (const account of input.candidates) {
    const found = mode(account);
    if (found) modes.set(account, found);
  }
  const candidates = [...modes.keys()];
  if (candidates.length === 0) {
    return { kind: "unavailable", reason: "no account in this key's group serves this request" };
  }
  const translated = (account: Account) => modes.get(account) === "translated" ? 1 : 0;
  // Each account's quota standing, read once per plan (the sort compares many times).
  const standings = new Map<Account, QuotaStanding | undefined>();
  const quota = (account: Account) => {
    if (!standings.has(account)) standings.set(account, input.quota?.(account.id));
    return standings.get(account);
  };
  const resetsAt = (account: Account) => quota(account)?.resetsAt ?? Infinity;
  const soonerReset = input.order === "resets-first"
    ? (a: Account, b: Account) => compare(resetsAt(a), resetsAt(b))
    : () => 0;
  const byPreference = (a: Account, b: Account) =>
    a.priority - b.priority || translated(a) - translated(b) || soonerReset(a, b) ||
    lastUsed(a.id) - lastUsed(b.id);
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
  if (ready.length > 0) {
    const tiers = quotaTiers(ready.sort(byPreference), quota, input.avoidAbovePercent);
    const ordered = [
      ...boundFirst([...tiers.below, ...tiers.above], input.boundAccount),
      ...tiers.spent,
    ];
    return { kind: "ready", accounts: ordered, ...extra };
  }
  if (retryAt !== Infinity) {
    const missing = allMissModel ? { modelUnavailable: true as const } : {};
    return { kind: "cooling", retryAt, ...missing, ...extra };
  }
  return { kind: "unavailable", reason: "every account in this key's group is disabled", ...extra };
}

/**
 * The order in which the failover loop tries the accounts: a claimed probe
 * first (it does not count against `maxSwitches`, and placed last it would
 * never run in a healthy pool), then the account that holds a concurrency
 * slot for this request, then the plan's order.
 */
export function attemptOrder(
  planned: readonly Account[],
  choice: { probe?: Account; leased?: Account } = {},
): Account[] {
  const { probe, leased } = choice;
  const first = [probe, leased].filter((account, index, all): account is Account =>
    account !== undefined && all.indexOf(account) === index
  );
  return [...first, ...planned.filter((account) => !first.includes(account))];
}

/**
 * The accounts split by quota, each part in the order given: below their
 * `avoidAbovePercent` (or with no threshold or no snapshot), above it, and
 * with a spent window.
 */
function quotaTiers(
  accounts: Account[],
  quota: (account: Account) => QuotaStanding | undefined,
  groupThreshold: number | undefined,
): { below: Account[]; above: Account[]; spent: Account[] } {
  const tiers = { below: [] as Account[], above: [] as Account[], spent: [] as Account[] };
  for (const account of accounts) {
    const standing = quota(account);
    const threshold = account.avoidAbovePercent ?? groupThreshold;
    const used = standing?.usedPercent;
    if (standing?.spent) tiers.spent.push(account);
    else if (threshold !== undefined && used !== undefined && used > threshold) {
      tiers.above.push(account);
    } else tiers.below.push(account);
  }
  return tiers;
}

/** Ascending, with `Infinity` (unknown) last and equal to itself. */
function compare(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The bound account first, if it is among the schedulable ones. */
function boundFirst(accounts: Account[], boundId: string | undefined): Account[] {
  const index = boundId === undefined ? -1 : accounts.findIndex((a) => a.id === boundId);
  if (index <= 0) return accounts;
  return [accounts[index], ...accounts.slice(0, index), ...accounts.slice(index + 1)];
}

function modelReason(
  health: HealthSnapshot,
  accountId: string,
  model: () => string | undefined,
): string | undefined {
  const name = model();
  return name === undefined ? undefined : health.health(accountId).models?.get(name)?.reason;
}
