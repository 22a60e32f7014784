/**
 * OpenAI's rate-limit headers: `x-ratelimit-reset-requests` and
 * `x-ratelimit-reset-tokens`, Go-style durations such as `6m0s`. They ride on
 * every OpenAI response, so they say when a limit lifts only for a 429.
 *
 * @module
 */

import { plausible } from "../time_values.ts";

/** Go-style durations as OpenAI sends them: `6m0s`, `1.5s`, `20ms`, `1h2m3s`. */
export function parseGoDuration(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (!/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(trimmed)) return undefined;
  const unitMs: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 1e-3,
    "µs": 1e-3,
    ns: 1e-6,
  };
  let total = 0;
  for (const [, amount, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) {
    total += Number(amount) * unitMs[unit];
  }
  return total;
}

/** When each of the rate limits the headers name resets (epoch ms). */
export function rateLimitResets(headers: Headers, now: number): (number | undefined)[] {
  const resets: (number | undefined)[] = [];
  for (const header of ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]) {
    const duration = parseGoDuration(headers.get(header));
    if (duration !== undefined) resets.push(plausible(now + duration, now));
  }
  return resets;
}
