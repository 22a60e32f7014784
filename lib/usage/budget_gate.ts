/**
 * Admission by budget: a request whose key or group has spent a budget is
 * refused before any upstream call (429, `Retry-After` to the reset). Keys
 * and groups without budgets cost nothing here. A budget past its `alertAt`
 * is logged and counted once per window per process, and, like a budget
 * that ran out, raised as an alert (`budget.alert`, `budget.exhausted`):
 * the alerts' KV episode makes that once per window across processes.
 *
 * @module
 */

import type { Budget } from "../config/types.ts";
import { logFailure, logWarning } from "../log.ts";
import type { Alerts } from "../observe/alerts.ts";
import type { GatewayMetrics } from "../observe/metrics.ts";
import {
  alerting,
  budgetMessage,
  type BudgetState,
  microsOf,
  ROLLING_MS,
  spentBudget,
} from "./budgets.ts";
import type { LimitRefusal } from "./limits.ts";
import type { Budgeted, SpendLedger } from "./spend.ts";

/** The budgets on a key and on its group, as spend targets (none when neither sets any). */
export function budgetTargets(
  key: { id: string; budgets?: readonly Budget[] },
  group: { id: string; budgets?: readonly Budget[] } | undefined,
): Budgeted[] {
  const targets: Budgeted[] = [];
  if (key.budgets?.length) targets.push({ scope: "key", id: key.id, budgets: key.budgets });
  if (group?.budgets?.length) {
    targets.push({ scope: "group", id: group.id, budgets: group.budgets });
  }
  return targets;
}

/** Checks budgets before a request goes out. */
export class BudgetGate {
  readonly #alerted = new Set<string>();

  constructor(
    private readonly ledger: SpendLedger,
    private readonly now: () => number = Date.now,
    private readonly metrics?: GatewayMetrics,
    private readonly alerts?: Pick<Alerts, "budget">,
  ) {}

  /**
   * Refuses when the key's or the group's budget is spent; `null` admits. Of
   * every spent budget, the refusal names the one that resets last (the
   * client cannot get through before it), and every target's alerts are
   * evaluated, not only the first spent one's.
   */
  async admit(targets: readonly Budgeted[]): Promise<LimitRefusal | null> {
    const now = this.now();
    const read = await Promise.all(targets.map((target) => this.ledger.states(target, now)));
    const states = targets.flatMap((target, index) => {
      this.#alert(target, read[index], now);
      return read[index].map((state) => ({ ...state, target }));
    });
    const spent = spentBudget(states);
    if (!spent) return null;
    return { limit: "budget", ...budgetMessage(spent.target.scope, spent.target.id, spent, now) };
  }

  /** The budgets of a key or group with their spend, for the console. */
  states(target: Budgeted): Promise<BudgetState[]> {
    return this.ledger.states(target, this.now());
  }

  #alert(target: Budgeted, states: readonly BudgetState[], now: number): void {
    for (const state of alerting(states)) {
      // A calendar window is named by its end; a rolling one alerts at most once per 5 hours.
      const rolling = state.budget.per === "5h";
      const endsAt = rolling ? (Math.floor(now / ROLLING_MS) + 1) * ROLLING_MS : state.resetsAt;
      if (!this.#first(`alert/${target.scope}/${target.id}/${state.budget.per}/${endsAt}`)) {
        continue;
      }
      this.metrics?.budgetAlerts.inc({ scope: target.scope, id: target.id, per: state.budget.per });
      logWarning("budget past its alert threshold", {
        scope: target.scope,
        id: target.id,
        per: state.budget.per,
        usd: state.budget.usd,
        spentUsd: state.spent / 1_000_000,
        at: new Date(now).toISOString(),
      });
      this.#raise("budget.alert", target, state, endsAt);
    }
    for (const state of states) {
      if (state.spent < microsOf(state.budget.usd)) continue;
      const id = `exhausted/${target.scope}/${target.id}/${state.budget.per}/${state.resetsAt}`;
      if (this.#first(id)) this.#raise("budget.exhausted", target, state, state.resetsAt);
    }
  }

  /** `true` the first time this process sees `id` (a bounded memory). */
  #first(id: string): boolean {
    if (this.#alerted.has(id)) return false;
    if (this.#alerted.size > 10_000) this.#alerted.clear();
    this.#alerted.add(id);
    return true;
  }

  /** Sends the alert in the background: admission does not wait for KV or a webhook. */
  #raise(
    event: "budget.alert" | "budget.exhausted",
    target: Budgeted,
    state: BudgetState,
    endsAt: number,
  ): void {
    if (!this.alerts) return;
    const { usd, per, alertAt } = state.budget;
    const spentUsd = state.spent / 1_000_000;
    const what = event === "budget.alert"
      ? `passed ${Math.round((alertAt ?? 1) * 100)}% of`
      : "has spent";
    const detail = {
      message: `${target.scope} "${target.id}" ${what} its ${per} budget of $${usd} ` +
        `($${spentUsd.toFixed(2)} spent); it resets at ${new Date(state.resetsAt).toISOString()}`,
      scope: target.scope,
      per,
      usd,
      spentUsd,
      ...(alertAt === undefined ? {} : { alertAt }),
      resetsAt: new Date(state.resetsAt).toISOString(),
    };
    // A calendar window's episode is named by its end. A rolling budget's exhaustion is one
    // episode until its reset, even if later spend moves that reset on.
    const period = event === "budget.exhausted" && per === "5h" ? per : `${per}:${endsAt}`;
    this.alerts.budget(event, target, period, detail, endsAt)
      .catch(logFailure("budget alert failed"));
  }
}
