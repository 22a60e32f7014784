/**
 * Scheduled health checks: `healthChecks` (`{ everySeconds, model?,
 * recover? }`) on an account, or on a group for its accounts, tests each
 * account once per interval across all processes. Every process ticks; a
 * due check is claimed in KV with a checked commit (`TrialLog.claim`), so of
 * four gateways on one KV exactly one sends the test. A pass recovers a
 * cooling or disabled account unless `recover: false`; a failure that
 * would disable the account for good does (`AccountChecks`), so its alert
 * fires; the result goes where an admin test's goes (the last test in KV,
 * metrics, alert events).
 *
 * @module
 */

import type { TrialLog } from "../accounts/trial_log.ts";
import type { Account, Group, HealthChecks } from "../config/types.ts";
import { logFailure } from "../log.ts";
import type { AccountChecks } from "./account_checks.ts";

/** The checks that apply to an account: its own, else the first group's that lists it. */
export function healthChecksFor(
  account: Account,
  groups: readonly Group[],
): HealthChecks | undefined {
  return account.healthChecks ??
    groups.find((group) => group.healthChecks && group.accounts.includes(account.id))
      ?.healthChecks;
}

/** Runs the scheduled checks of one process. */
export class CheckSchedule {
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #running = new Map<string, Promise<void>>();
  #ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      checks: AccountChecks;
      log: TrialLog;
      accounts(): readonly Account[];
      groups(): readonly Group[];
      /** How often this process looks for due checks (default 5 s). */
      tickMs?: number;
    },
  ) {}

  /** Starts ticking, with a first tick now (a no-op when already started). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.tick(), this.deps.tickMs ?? 5_000);
    this.#ticking = this.tick();
  }

  /** Claims and starts every check due now; a check still running is left alone. */
  async tick(now = Date.now()): Promise<void> {
    const groups = this.deps.groups();
    for (const account of this.deps.accounts()) {
      const settings = healthChecksFor(account, groups);
      if (!settings || this.#running.has(account.id)) continue;
      const claimed = await this.deps.log.claim(account.id, settings.everySeconds * 1000, now)
        .catch((error) => {
          logFailure("health check claim failed")(error);
          return false;
        });
      if (!claimed || this.#timer === undefined) continue;
      const options = { model: settings.model, recover: settings.recover ?? true };
      const run = this.deps.checks.test(account, options, "scheduled").then(() => {}).finally(
        () => this.#running.delete(account.id),
      );
      this.#running.set(account.id, run);
    }
  }

  /** Stops ticking and waits for the checks under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    await Promise.all(this.#running.values());
  }
}
