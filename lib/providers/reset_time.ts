/**
 * When a limit lifts, from every source any provider uses, the latest
 * winning: `Retry-After` (seconds or an HTTP date), Codex windows and error
 * bodies (`codex/quota.ts`), Claude's unified windows (`claude/quota.ts`) and,
 * for a 429, OpenAI's rate-limit durations (`openai/rate_limits.ts`). Every
 * source is read whatever the account's kind: a compatible upstream may send
 * any of them. Pure; `now` is passed in.
 *
 * @module
 */

import type { QuotaWindow } from "../accounts/model.ts";
import { codexWindows, hasCodexWindows, resetFromErrorBody } from "./codex/quota.ts";
import {
  hasUnifiedWindows,
  UNIFIED_WINDOW,
  unifiedNotAllowed,
  unifiedWindows,
} from "./claude/quota.ts";
import { rateLimitResets } from "./openai/rate_limits.ts";
import { latest, plausible } from "./time_values.ts";

/** `Retry-After` as seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return plausible(now + Number(trimmed) * 1000, now);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : plausible(date, now);
}

/** The quota windows found in Codex and Claude response headers. */
export function quotaWindows(headers: Headers, now: number): QuotaWindow[] {
  return [...codexWindows(headers, now), ...unifiedWindows(headers, now)];
}

/** Do these headers carry quota windows worth a snapshot? */
export function hasQuotaHeaders(headers: Headers): boolean {
  return hasCodexWindows(headers) || hasUnifiedWindows(headers);
}

/** Which sources count as reset information for a given status. */
export interface ResetSources {
  /** Also read OpenAI's `x-ratelimit-reset-*` durations (sent on every response, so only for 429). */
  includeRateLimitDurations: boolean;
}

/**
 * The reset an error response announces: the latest of every source present.
 * Quota windows count only when exhausted, and Claude's overall reset only
 * when its status is not `allowed`: those headers ride on healthy responses too.
 */
export function announcedReset(
  headers: Headers,
  body: unknown,
  now: number,
  sources: ResetSources,
): number | undefined {
  const candidates: (number | undefined)[] = [
    parseRetryAfter(headers.get("retry-after"), now),
    resetFromErrorBody(body, now),
  ];
  for (const window of quotaWindows(headers, now)) {
    const overallNotAllowed = window.name === UNIFIED_WINDOW && unifiedNotAllowed(headers);
    if (window.exhausted || overallNotAllowed) candidates.push(window.resetAt);
  }
  if (sources.includeRateLimitDurations) candidates.push(...rateLimitResets(headers, now));
  return latest(candidates);
}
