/**
 * What account and group changes mean as alerts, in one place. The state
 * store (`lib/accounts/health.ts`) and the quota book tell this module what
 * they wrote or saw through their listeners; it raises the events:
 * - `account.disabled` / `account.reauth` when an account stops serving
 *   (strikes, a revoked key, a 401; a refused OAuth refresh is `reauth`);
 * - `account.recovered` when it is back (reset, probe, test, scheduled check),
 *   which also ends its disabled/reauth episodes;
 * - `group.exhausted` when every account of a group is cooling or disabled,
 *   until the first cooldown runs out or an account is back;
 * - `account.quota` when a 5-hour or weekly window reaches the threshold,
 *   once per window until it resets.
 * The decisions are pure ({@linkcode exhaustion}, {@linkcode quotaCrossings});
 * the class only does the I/O.
 *
 * @module
 */

import type { HealthChange } from "../accounts/health.ts";
import type { HealthSnapshot } from "../accounts/health_snapshot.ts";
import type { QuotaWindow } from "../accounts/model.ts";
import type { Group } from "../config/types.ts";
import { logFailure } from "../log.ts";
import type { Alerts } from "./alerts.ts";

/** How a group stands: serving, or exhausted until `endsAt` (absent: until an account is back). */
export type Exhaustion =
  | { exhausted: false }
  | { exhausted: true; endsAt?: number; accounts: { id: string; state: string; until?: string }[] };

/** Whether every account of `group` is cooling or disabled at `now`. */
export function exhaustion(group: Group, snapshot: HealthSnapshot, now: number): Exhaustion {
  if (group.accounts.length === 0) return { exhausted: false };
  const accounts: { id: string; state: string; until?: string }[] = [];
  let endsAt: number | undefined;
  for (const id of group.accounts) {
    const state = snapshot.condition(id, now);
    if (state === "active") return { exhausted: false };
    if (state === "cooldown") {
      const until = snapshot.health(id).cooldownUntil;
      endsAt = endsAt === undefined ? until : Math.min(endsAt, until);
      accounts.push({ id, state, until: new Date(until).toISOString() });
    } else accounts.push({ id, state });
  }
  return endsAt === undefined
    ? { exhausted: true, accounts }
    : { exhausted: true, endsAt, accounts };
}

/** A window at or above the threshold: the episode subject, its end and what to say. */
export interface QuotaCrossing {
  window: string;
  usedPercent: number;
  endsAt: number;
  resetAt?: number;
}

/** The windows of one answer that are at or above `percent` used (a used-up window is 100 %). */
export function quotaCrossings(
  windows: readonly QuotaWindow[],
  percent: number,
  now: number,
): QuotaCrossing[] {
  const crossings: QuotaCrossing[] = [];
  for (const window of windows) {
    const used = window.exhausted ? Math.max(100, window.usedPercent ?? 100) : window.usedPercent;
    if (used === undefined || used < percent) continue;
    if (window.resetAt !== undefined && window.resetAt <= now) continue;
    const crossing: QuotaCrossing = {
      window: window.name,
      usedPercent: used,
      // A window with no reset time is said again at most hourly.
      endsAt: window.resetAt ?? now + 3600_000,
    };
    if (window.resetAt !== undefined) crossing.resetAt = window.resetAt;
    crossings.push(crossing);
  }
  return crossings;
}

/** Turns state changes and quota windows into alerts. */
export class AccountAlerts {
  readonly #pending = new Set<Promise<unknown>>();
  /** Quota episodes this process has already raised or seen claimed: subject → end. */
  readonly #quotaSeen = new Map<string, number>();

  constructor(
    private readonly alerts: Alerts,
    private readonly deps: {
      snapshot(): Promise<HealthSnapshot>;
      groups(): readonly Group[];
    },
  ) {}

  /** The state store's listener. */
  onHealth(change: HealthChange): void {
    if (this.alerts.settings().webhooks.length === 0) return;
    this.#track(this.#health(change));
  }

  /** The quota book's listener: cheap unless a window crossed the threshold. */
  onQuota(accountId: string, windows: readonly QuotaWindow[], now = Date.now()): void {
    const { quotaPercent: percent, webhooks } = this.alerts.settings();
    if (webhooks.length === 0) return;
    for (const crossing of quotaCrossings(windows, percent, now)) {
      const subject = `${accountId}:${crossing.window}`;
      if ((this.#quotaSeen.get(subject) ?? 0) > now) continue;
      this.#quotaSeen.set(subject, crossing.endsAt);
      const detail = {
        message: `${crossing.window} window at ${Math.round(crossing.usedPercent)}% used` +
          (crossing.resetAt ? `; resets ${new Date(crossing.resetAt).toISOString()}` : ""),
        window: crossing.window,
        usedPercent: crossing.usedPercent,
        threshold: percent,
        ...(crossing.resetAt ? { resetAt: new Date(crossing.resetAt).toISOString() } : {}),
      };
      this.#track(
        this.alerts.raise(
          { event: "account.quota", account: accountId, detail },
          subject,
          crossing.endsAt,
        ),
      );
    }
  }

  /** Waits for alert work under way (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await this.alerts.deliveries.settled();
  }

  async #health(change: HealthChange): Promise<void> {
    const account = change.account;
    if (change.kind === "disabled") {
      const event = change.reauth ? "account.reauth" : "account.disabled";
      const message = change.reauth
        ? `needs signing in again: ${change.reason}`
        : `disabled: ${change.reason}`;
      await this.alerts.raise(
        { event, account, detail: { message, reason: change.reason } },
        account,
      );
    } else if (change.kind === "restored") {
      await this.alerts.end("account.disabled", account);
      await this.alerts.end("account.reauth", account);
      // No KV claim, unlike the episodes above: each restore is one process's own action (an
      // admin reset answered by one process, a probe claimed in KV, a scheduled check claimed in
      // KV), and only the process that wrote the restore hears this change, so four gateways
      // cannot send it four times.
      this.alerts.notify({
        event: "account.recovered",
        account,
        detail: { message: `back in service (${change.how})`, how: change.how },
      });
    }
    await this.#groups(account);
  }

  /** Raises or ends `group.exhausted` for every group of `accountId`. */
  async #groups(accountId: string): Promise<void> {
    const groups = this.deps.groups().filter((group) => group.accounts.includes(accountId));
    if (groups.length === 0) return;
    const snapshot = await this.deps.snapshot();
    const now = Date.now();
    for (const group of groups) {
      const found = exhaustion(group, snapshot, now);
      if (!found.exhausted) {
        await this.alerts.end("group.exhausted", group.id);
        continue;
      }
      const detail = {
        message: `every account of the group is cooling or disabled` +
          (found.endsAt ? `; the first returns ${new Date(found.endsAt).toISOString()}` : ""),
        accounts: found.accounts,
      };
      await this.alerts.raise(
        { event: "group.exhausted", group: group.id, detail },
        group.id,
        found.endsAt,
      );
    }
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch(logFailure("alert failed")).finally(() =>
      this.#pending.delete(tracked)
    );
    this.#pending.add(tracked);
  }
}
