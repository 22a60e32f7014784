/**
 * Account tests with their consequences: runs a test (`trial.ts`), records
 * it apart from client usage (`TrialLog`), and, when asked to recover, puts
 * a passing cooling or disabled account back in service. A scheduled check
 * also applies what a failing answer would do to the account for good (a
 * revoked key disables it, a refused OAuth refresh needs signing in again);
 * an admin test leaves the state alone. The admin route,
 * the console, the CLI and scheduled health checks all test through here.
 * What happened is told through the injected {@linkcode CheckEvents} port
 * (metrics); a recovery reaches the alerts through the state store's listener.
 *
 * @module
 */

import type { AccountStateStore } from "../accounts/health.ts";
import type { TrialLog, TrialRecord } from "../accounts/trial_log.ts";
import type { Account } from "../config/types.ts";
import { logFailure } from "../log.ts";
import type { FailoverPorts } from "./ports.ts";
import { lastingEffects, runTrial, type TrialOptions, type TrialResult } from "./trial.ts";

/** What a test asks for besides the request. */
export interface CheckOptions extends TrialOptions {
  /** A pass puts a cooling or disabled account back in service. */
  recover?: boolean;
}

/** A test's answer, and whether it recovered the account. */
export type CheckResult = TrialResult & { recovered?: true };

/** Told of every test (metrics); never throws. A recovery is told by the state store. */
export interface CheckEvents {
  tested?(accountId: string, record: TrialRecord): void;
}

/** Tests accounts. */
export class AccountChecks {
  constructor(
    private readonly deps: {
      ports: FailoverPorts;
      states: AccountStateStore;
      log: TrialLog;
      events?: CheckEvents;
      /** The longest a test may take (default 60 s). */
      timeoutMs?: number;
    },
  ) {}

  /** Tests `account` once; with `recover`, a pass restores it. Always resolves. */
  async test(
    account: Account,
    options: CheckOptions = {},
    source: TrialRecord["source"] = "admin",
  ): Promise<CheckResult> {
    const { ports, states, log, events } = this.deps;
    const { result, effects } = await runTrial(ports, account, options, this.deps.timeoutMs);
    if (source === "scheduled") {
      // What a request would have done for good (disabled, needs signing in): the operator hears
      // of it now (account.disabled / account.reauth) rather than from the next client.
      for (const effect of lastingEffects(effects)) {
        await states.apply(account.id, effect).catch(logFailure("health check effect failed"));
      }
    }
    let recovered = false;
    if (options.recover && result.ok) {
      const condition = (await states.current()).condition(account.id, Date.now());
      if (condition !== "active") {
        await states.reset(account.id, source === "scheduled" ? "scheduled check" : "admin test");
        recovered = true;
      }
    }
    const record: TrialRecord = { at: Date.now(), ...result, source };
    if (recovered) record.recovered = true;
    await log.record(account.id, record).catch(logFailure("account test record failed"));
    events?.tested?.(account.id, record);
    return recovered ? { ...result, recovered: true } : result;
  }
}
