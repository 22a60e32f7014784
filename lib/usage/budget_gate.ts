/**
 * Admission by budget: a request whose key or group has spent a budget is
 * refused before any upstream call (429, `Retry-After` to the reset). Keys
 * and groups without budgets cost nothing here. Crossing a budget's
 * `alertAt` is logged and counted once per window per process; it and a
 * spent budget are told to `onAlert` (the `budget.alert` and
 * `budget.exhausted` webhooks, which dedupe across processes).
 *
 * @module
 */

import type { Budget } from "../config/types.ts";
import { logWarning } from "../log.ts";
import type { GatewayMetrics } from "../observe/metrics.ts";
import { alerting, budgetMessage, type BudgetState, ROLLING_MS, spentBudget } from "./budgets.ts";
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

/** Told of a budget past its alert level or spent, once per window per process. */
export type BudgetAlert = (
  event: "budget.alert" | "budget.exhausted",
  target: Budgeted,
  state: BudgetState,
  /** Names the budget's window (its end; the 5-hour bucket for a rolling budget). */
  window: number,
) => void;

/** Checks budgets before a request goes out. */
export class BudgetGate {
  readonly #alerted = new Set<string>();

  constructor(
    private readonly ledger: SpendLedger,
    private readonly now: () => number = Date.now,
    private readonly metrics?: GatewayMetrics,
    private readonly onAlert?: BudgetAlert,
  ) {}

  /** Refuses when the key's or the group's budget is spent; `null` admits. */
  async admit(targets: readonly Budgeted[]): Promise<LimitRefusal | null> {
    const now = this.now();
    for (const target of targets) {
      const states = await this.ledger.states(target, now);
      this.#alert(target, states, now);
      const spent = spentBudget(states);
      if (spent) {
        const window = windowOf(spent, now);
        if (this.#once(`exhausted/${target.scope}/${target.id}/${spent.budget.per}/${window}`)) {
          this.onAlert?.("budget.exhausted", target, spent, window);
        }
        return { limit: "budget", ...budgetMessage(target.scope, target.id, spent, now) };
      }
    }
    return null;
  }

  /** The budgets of a key or group with their spend, for the console. */
  states(target: Budgeted): Promise<BudgetState[]> {
    return this.ledger.states(target, this.now());
  }

  #alert(target: Budgeted, states: readonly BudgetState[], now: number): void {
    for (const state of alerting(states)) {
      const window = windowOf(state, now);
      if (!this.#once(`${target.scope}/${target.id}/${state.budget.per}/${window}`)) continue;
      this.metrics?.budgetAlerts.inc({ scope: target.scope, id: target.id, per: state.budget.per });
      logWarning("budget past its alert threshold", {
        scope: target.scope,
        id: target.id,
        per: state.budget.per,
        usd: state.budget.usd,
        spentUsd: state.spent / 1_000_000,
        at: new Date(now).toISOString(),
      });
      this.onAlert?.("budget.alert", target, state, window);
    }
  }

  /** `true` the first time this process sees `id`. */
  #once(id: string): boolean {
    if (this.#alerted.has(id)) return false;
    if (this.#alerted.size > 10_000) this.#alerted.clear();
    this.#alerted.add(id);
    return true;
  }
}

/** A calendar window is named by its end; a rolling one alerts at most once per 5 hours. */
function windowOf(state: BudgetState, now: number): number {
  return state.budget.per === "5h" ? Math.floor(now / ROLLING_MS) : state.resetsAt;
}
