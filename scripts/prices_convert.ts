/**
 * The pure half of `deno task prices`: one `@pydantic/genai-prices` model
 * entry as a row of the gateway's snapshot (`lib/usage/prices_snapshot.json`).
 *
 * - Keys kept: `input_mtok`, `output_mtok`, `cache_read_mtok` (our
 *   `cachedInput`), `cache_write_mtok` (`cacheWrite`, Anthropic's 5-minute
 *   write) and `cache_write_1h_mtok` (`cacheWrite1h`). Audio, image and
 *   per-search prices are left out: the gateway does not count those units.
 * - A tiered price (dearer past a prompt size) keeps its base; the row says
 *   `tiered: true`.
 * - Prices that change on a date: the ones in force on the day of the run.
 * - A model with no input or output price per token is left out.
 */

/** The package's matching rule for model names, kept as it is. */
export type MatchLogic = Record<string, unknown>;

/** One row of the snapshot: USD per 1M tokens. */
export interface SnapshotModel {
  id: string;
  provider: string;
  match: MatchLogic;
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  tiered?: true;
}

type Source = Record<string, unknown>;

const FIELDS = [
  ["input_mtok", "input"],
  ["output_mtok", "output"],
  ["cache_read_mtok", "cachedInput"],
  ["cache_write_mtok", "cacheWrite"],
  ["cache_write_1h_mtok", "cacheWrite1h"],
] as const;

/** The snapshot row of one package model, or `undefined` when it has no token prices. */
export function snapshotModel(
  provider: string,
  model: Source,
  today: string,
): SnapshotModel | undefined {
  const prices = pricesInForce(model.prices, today);
  if (!prices || typeof model.id !== "string" || !isObject(model.match)) return undefined;
  const row: Partial<SnapshotModel> = { id: model.id, provider, match: model.match };
  for (const [from, to] of FIELDS) {
    const value = prices[from];
    if (typeof value === "number") row[to] = value;
    else if (isObject(value) && typeof value.base === "number") {
      row[to] = value.base;
      row.tiered = true;
    }
  }
  if (row.input === undefined || row.output === undefined) return undefined;
  return row as SnapshotModel;
}

/** A plain price map, or the conditional entry in force on `today` (start dates only). */
function pricesInForce(prices: unknown, today: string): Source | undefined {
  if (isObject(prices)) return prices;
  if (!Array.isArray(prices)) return undefined;
  let chosen: Source | undefined;
  let since = "";
  for (const entry of prices) {
    if (!isObject(entry) || !isObject(entry.prices)) continue;
    const constraint = entry.constraint;
    if (constraint === undefined) {
      if (!chosen) chosen = entry.prices;
      continue;
    }
    const start = isObject(constraint) ? constraint.start_date : undefined;
    if (typeof start === "string" && start <= today && start >= since) {
      chosen = entry.prices;
      since = start;
    }
  }
  return chosen;
}

function isObject(value: unknown): value is Source {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
