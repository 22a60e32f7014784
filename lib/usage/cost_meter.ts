/**
 * Prices each recorded request (`lib/usage/cost.ts`) with the table in force
 * when it is recorded, counts it in the cost metric, and adds it to the
 * spend of its key's and group's budgets. A model without a price costs 0:
 * it is logged once per model (per process), counted in
 * `switchyard_unpriced_requests_total`, and recorded as unpriced with its
 * usage (the mark of its usage rows, kept when the model later gets a price).
 *
 * Metric labels stay bounded: `key` and `account` are configured ids, and
 * `model` is the price table's id for the model (a snapshot model id or an
 * override's name or pattern), never the client's string. The
 * unpriced counter names the first {@linkcode UNPRICED_NAMES} models, then
 * `other`.
 *
 * @module
 */

import { logWarning } from "../log.ts";
import type { GatewayMetrics } from "../observe/metrics.ts";
import type { TokenUsage } from "../protocols/usage.ts";
import { costMicros, usdOf } from "./cost.ts";
import type { PriceTable } from "./prices.ts";
import type { Budgeted, SpendLedger } from "./spend.ts";

/** Distinct unpriced model names the metric and the warning name. */
export const UNPRICED_NAMES = 100;

/** What a request was charged: micro-dollars, and whether its model had no price. */
export interface Charged {
  micros: number;
  unpriced: boolean;
}

/** One request to charge. */
export interface Charge {
  key: string;
  account: string;
  /** The model that answered (priced first), and the name the client asked for. */
  model: string;
  requested?: string;
  tokens: TokenUsage;
}

/** Charges requests. */
export class CostMeter {
  readonly #unpriced = new Set<string>();

  constructor(
    private readonly table: () => PriceTable,
    private readonly metrics: GatewayMetrics | undefined,
    private readonly ledger: SpendLedger | undefined,
    /** The key's and its group's budgets, where they have any. */
    private readonly budgetsOf: (key: string) => Budgeted[] = () => [],
    private readonly now: () => number = Date.now,
  ) {}

  /** The request's cost in micro-dollars (0, flagged `unpriced`, when its model has no price). */
  charge(charge: Charge): Charged {
    const table = this.table();
    const priced = table.priceOf(charge.model) ??
      (charge.requested ? table.priceOf(charge.requested) : undefined);
    if (!priced) {
      this.#flagUnpriced(charge.model);
      return { micros: 0, unpriced: true };
    }
    const micros = costMicros(charge.tokens, priced.price);
    const labels = { key: charge.key, account: charge.account, model: priced.id };
    this.metrics?.cost.inc(labels, usdOf(micros));
    if (this.ledger && micros > 0) {
      const at = this.now();
      for (const target of this.budgetsOf(charge.key)) this.ledger.add(target, micros, at);
    }
    return { micros, unpriced: false };
  }

  /** Whether `model` has a price now. */
  isPriced(model: string): boolean {
    return this.table().priceOf(model) !== undefined;
  }

  #flagUnpriced(model: string): void {
    if (!this.#unpriced.has(model) && this.#unpriced.size < UNPRICED_NAMES) {
      this.#unpriced.add(model);
      logWarning("model has no price; its requests are recorded at cost 0", { model });
    }
    this.metrics?.unpriced.inc({ model: this.#unpriced.has(model) ? model : "other" });
  }
}
