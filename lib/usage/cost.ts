/**
 * A request's cost, pure: its token counts times its model's price, in whole
 * micro-dollars (USD × 10⁶). A price per 1M tokens is micro-dollars per
 * token, so the sum is computed exactly in pico-dollars (prices are rounded to
 * 10⁻⁶ USD per 1M tokens) and rounded once, half up, to micro-dollars.
 *
 * Counts (`lib/protocols/usage.ts`): `input` holds every prompt token,
 * `cached` and `cacheWrite` included; `output` holds reasoning tokens. So:
 * - uncached input (`input − cached − cacheWrite`) at `input`;
 * - `cached` at `cachedInput` (default `input`);
 * - 5-minute writes (`cacheWrite − cacheWrite1h`) at `cacheWrite` (default
 *   `input`), 1-hour writes at `cacheWrite1h` (default `cacheWrite`);
 * - non-reasoning output at `output`; `reasoning` at `reasoning` (default
 *   `output`: OpenAI and Anthropic bill thinking as output).
 *
 * @module
 */

import type { ModelPrice } from "../config/types.ts";
import type { TokenUsage } from "../protocols/usage.ts";

/** Pico-dollars per token of a price in USD per 1M tokens. */
function picos(usdPerMillion: number): bigint {
  return BigInt(Math.round(usdPerMillion * 1_000_000));
}

/** The cost of `tokens` at `price`, in micro-dollars (an integer). */
export function costMicros(tokens: TokenUsage, price: ModelPrice): number {
  const cacheWrite = Math.min(tokens.cacheWrite ?? 0, tokens.input);
  const cacheWrite1h = Math.min(tokens.cacheWrite1h ?? 0, cacheWrite);
  const cached = Math.min(tokens.cached, tokens.input - cacheWrite);
  const reasoning = Math.min(tokens.reasoning ?? 0, tokens.output);
  const writePrice = price.cacheWrite ?? price.input;
  const parts: [number, number][] = [
    [tokens.input - cached - cacheWrite, price.input],
    [cached, price.cachedInput ?? price.input],
    [cacheWrite - cacheWrite1h, writePrice],
    [cacheWrite1h, price.cacheWrite1h ?? writePrice],
    [tokens.output - reasoning, price.output],
    [reasoning, price.reasoning ?? price.output],
  ];
  let total = 0n;
  for (const [count, usd] of parts) {
    if (count > 0) total += BigInt(Math.round(count)) * picos(usd);
  }
  return Number((total + 500_000n) / 1_000_000n);
}

/** Micro-dollars as USD. */
export function usdOf(micros: number): number {
  return micros / 1_000_000;
}
