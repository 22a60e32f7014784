/**
 * The small parsers every provider's reset and quota headers share: Unix
 * seconds, numeric headers, and the sanity bound on how far away a reset may
 * be. All times are epoch milliseconds and `now` is passed in, so every
 * function here is table-testable.
 *
 * @module
 */

/** Resets further out than this are treated as garbage rather than obeyed. */
export const MAX_RESET_HORIZON_MS = 31 * 24 * 3600 * 1000;

/** Unix seconds (as Anthropic and Codex send them) to epoch ms, if sane. */
export function parseUnixSeconds(value: unknown, now: number): number | undefined {
  const seconds = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  return plausible(seconds * 1000, now);
}

/** `at` when it lies ahead, within {@linkcode MAX_RESET_HORIZON_MS}; else `undefined`. */
export function plausible(at: number, now: number): number | undefined {
  return at > now && at - now <= MAX_RESET_HORIZON_MS ? at : undefined;
}

/** A header holding a number, or `undefined`. */
export function numberHeader(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** The latest of the values given. */
export function latest(values: readonly (number | undefined)[]): number | undefined {
  let best: number | undefined;
  for (const value of values) {
    if (value !== undefined && (best === undefined || value > best)) best = value;
  }
  return best;
}
