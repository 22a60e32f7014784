/**
 * The money parts of a gateway, built together: the price table in force
 * (`pricing_store.ts`), the spend ledger of budgets (`spend.ts`), the meter
 * that prices each recorded request (`cost_meter.ts`) and the budget gate
 * admission asks (`budget_gate.ts`).
 *
 * @module
 */

import type { Directory } from "../accounts/directory.ts";
import type { ModelPrice } from "../config/types.ts";
import type { Alerts } from "../observe/alerts.ts";
import type { GatewayMetrics } from "../observe/metrics.ts";
import { BudgetGate, budgetTargets } from "./budget_gate.ts";
import { CostMeter } from "./cost_meter.ts";
import { PricingStore } from "./pricing_store.ts";
import { SpendLedger } from "./spend.ts";
import type { KvReachability } from "../kv/reachability.ts";

/** Prices, cost and budgets of one gateway. */
export interface Money {
  pricing: PricingStore;
  meter: CostMeter;
  gate: BudgetGate;
  ledger: SpendLedger;
  /** Writes the unflushed spend. */
  close(): Promise<void>;
}

/** Opens the money parts on `kv`; `now` is the clock budgets use (tests move it). */
export async function openMoney(options: {
  kv: Deno.Kv;
  pricing?: Record<string, ModelPrice>;
  directory: Directory;
  metrics: GatewayMetrics;
  flushMs?: number;
  now?: () => number;
  /** Where budget alerts go (`budget.alert`, `budget.exhausted`). */
  alerts?: Pick<Alerts, "budget">;
  /** Bounds the ledger's KV calls (a remote KV's outage). */
  reach?: KvReachability;
}): Promise<Money> {
  const { kv, directory, metrics } = options;
  const now = options.now ?? Date.now;
  const pricing = await PricingStore.open(kv, options.pricing);
  const ledger = new SpendLedger(kv, options.flushMs, now, options.reach);
  const budgetsOf = (keyId: string) => {
    const key = directory.key(keyId);
    return key ? budgetTargets(key, directory.group(key.group)) : [];
  };
  const meter = new CostMeter(() => pricing.table(), metrics, ledger, budgetsOf, now);
  const gate = new BudgetGate(ledger, now, metrics, options.alerts);
  return { pricing, meter, gate, ledger, close: () => ledger.close() };
}
