/**
 * Reading the money fields of a config or a management API body: `pricing`
 * (price overrides per model name or `*` pattern) and `budgets` (on keys
 * and groups). Both throw {@linkcode ConfigError} naming the bad field.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { Fields } from "./fields.ts";
import { type Budget, BUDGET_WINDOWS, type ModelPrice } from "./types.ts";

const PRICE_FIELDS = ["input", "output", "cachedInput", "cacheWrite", "cacheWrite1h", "reasoning"];
/** USD per 1M tokens: generous, but a typo of a few zeros is caught. */
const MAX_PRICE = 100_000;
/** Patterns in one table: each one is tried against every new model name. */
const MAX_PATTERNS = 1000;

/** Reads a `pricing` map: model name (or `*` pattern) to {@linkcode ModelPrice}. */
export function readPricing(fields: Fields, name: string): Record<string, ModelPrice> {
  const map = fields.object(name);
  if (!fields.has(name)) return {};
  const names = Object.keys(map.raw);
  if (names.length > MAX_PATTERNS) {
    throw new ConfigError(map.path, `must have at most ${MAX_PATTERNS} entries`);
  }
  const out: Record<string, ModelPrice> = {};
  for (const model of names) {
    if (model.trim() === "" || model.length > 200) {
      throw new ConfigError(map.at(model), "model names must be 1 to 200 characters");
    }
    out[model] = readPrice(Fields.of(map.raw[model], map.at(model)));
  }
  return out;
}

/** One model's price: `input` and `output` required, the rest optional. */
export function readPrice(fields: Fields): ModelPrice {
  fields.onlyKnown(PRICE_FIELDS);
  const price: ModelPrice = {
    input: fields.number("input", undefined, 0, MAX_PRICE),
    output: fields.number("output", undefined, 0, MAX_PRICE),
  };
  for (const name of ["cachedInput", "cacheWrite", "cacheWrite1h", "reasoning"] as const) {
    if (fields.has(name)) price[name] = fields.number(name, undefined, 0, MAX_PRICE);
  }
  return price;
}

/** Reads `budgets`: a list of `{usd, per, alertAt?}`, at most one per window. */
export function readBudgets(fields: Fields, name: string): Budget[] {
  const budgets = fields.objects(name).map((item) => {
    item.onlyKnown(["usd", "per", "alertAt"]);
    const usd = item.number("usd", undefined, 0.000001, 1_000_000_000);
    const budget: Budget = { usd, per: item.oneOf("per", BUDGET_WINDOWS) };
    if (item.has("alertAt")) budget.alertAt = item.number("alertAt", undefined, 0.01, 1);
    return budget;
  });
  const seen = new Set<string>();
  budgets.forEach((budget, index) => {
    if (seen.has(budget.per)) {
      throw new ConfigError(
        `${fields.at(name)}[${index}].per`,
        `a "${budget.per}" budget is set twice`,
      );
    }
    seen.add(budget.per);
  });
  return budgets;
}
