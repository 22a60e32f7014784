/**
 * Pure parsers for the many ways upstreams announce when a limit resets:
 * `Retry-After`, Codex `x-codex-*` usage windows, Codex error bodies
 * (`resets_at` / `resets_in_seconds`), Anthropic unified rate-limit headers and
 * OpenAI `x-ratelimit-reset-*` durations. All times are epoch milliseconds and
 * `now` is passed in, so every function here is table-testable.
 *
 * @module
 */

import type { QuotaWindow } from "../accounts/model.ts";

/** Resets further out than this are treated as garbage rather than obeyed. */
export const MAX_RESET_HORIZON_MS = 31 * 24 * 3600 * 1000;

/** `Retry-After` as seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return plausible(now + Number(trimmed) * 1000, now);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : plausible(date, now);
}

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

/** Unix seconds (as Anthropic and Codex bodies send) to epoch ms, if sane. */
export function parseUnixSeconds(value: unknown, now: number): number | undefined {
  const seconds = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  return plausible(seconds * 1000, now);
}

/** The quota windows found in Codex and Anthropic response headers. */
export function quotaWindows(headers: Headers, now: number): QuotaWindow[] {
  const windows: QuotaWindow[] = [];
  for (const which of ["primary", "secondary"]) {
    const used = numberHeader(headers, `x-codex-${which}-used-percent`);
    const after = numberHeader(headers, `x-codex-${which}-reset-after-seconds`);
    const at = parseUnixSeconds(headers.get(`x-codex-${which}-reset-at`), now);
    if (used === undefined && after === undefined && at === undefined) continue;
    const resetAt = at ?? (after !== undefined ? plausible(now + after * 1000, now) : undefined);
    windows.push({
      name: `codex-${which}`,
      usedPercent: used,
      resetAt,
      exhausted: (used ?? 0) >= 100,
    });
  }
  windows.push(...anthropicWindows(headers, now));
  return windows;
}

function anthropicWindows(headers: Headers, now: number): QuotaWindow[] {
  const prefix = "anthropic-ratelimit-unified-";
  const names = new Set<string>();
  for (const name of headers.keys()) {
    const match = name.startsWith(prefix)
      ? /^anthropic-ratelimit-unified-(.+)-reset$/.exec(name)
      : null;
    if (match) names.add(match[1]);
  }
  const windows: QuotaWindow[] = [];
  for (const window of names) {
    const resetAt = parseUnixSeconds(headers.get(`${prefix}${window}-reset`), now);
    const utilization = numberHeader(headers, `${prefix}${window}-utilization`);
    const usedPercent = utilization === undefined
      ? undefined
      : utilization <= 1
      ? utilization * 100
      : utilization;
    const status = headers.get(`${prefix}${window}-status`);
    windows.push({
      name: `anthropic-${window}`,
      usedPercent,
      resetAt,
      exhausted: status === "rejected" || (usedPercent ?? 0) >= 100,
    });
  }
  const overallReset = parseUnixSeconds(headers.get(`${prefix}reset`), now);
  const overallStatus = headers.get(`${prefix}status`);
  if (overallReset !== undefined || overallStatus !== null) {
    windows.push({
      name: "anthropic-unified",
      resetAt: overallReset,
      exhausted: overallStatus === "rejected",
    });
  }
  return windows;
}

/** `resets_at` / `resets_in_seconds` from an `{"error": {...}}` body. */
export function resetFromErrorBody(body: unknown, now: number): number | undefined {
  const error = errorObject(body);
  if (!error) return undefined;
  const at = parseUnixSeconds(error.resets_at, now);
  const inSeconds = typeof error.resets_in_seconds === "number" && error.resets_in_seconds >= 0
    ? plausible(now + error.resets_in_seconds * 1000, now)
    : undefined;
  return latest([at, inSeconds]);
}

/** Which sources count as reset information for a given status. */
export interface ResetSources {
  /** Also read OpenAI's `x-ratelimit-reset-*` durations (sent on every response, so only for 429). */
  includeRateLimitDurations: boolean;
}

/**
 * The reset an error response announces: the latest of every source present.
 * Quota windows count only when exhausted, and Anthropic's overall reset only
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
    const overallNotAllowed = window.name === "anthropic-unified" &&
      !(headers.get("anthropic-ratelimit-unified-status") ?? "").startsWith("allowed");
    if (window.exhausted || overallNotAllowed) candidates.push(window.resetAt);
  }
  if (sources.includeRateLimitDurations) {
    for (const header of ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]) {
      const duration = parseGoDuration(headers.get(header));
      if (duration !== undefined) candidates.push(plausible(now + duration, now));
    }
  }
  return latest(candidates);
}

/** The `error` object of an OpenAI- or Anthropic-shaped error body. */
export function errorObject(body: unknown): Record<string, unknown> | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const error = (body as Record<string, unknown>).error;
  return error !== null && typeof error === "object" ? error as Record<string, unknown> : undefined;
}

function latest(values: readonly (number | undefined)[]): number | undefined {
  let best: number | undefined;
  for (const value of values) {
    if (value !== undefined && (best === undefined || value > best)) best = value;
  }
  return best;
}

function plausible(at: number, now: number): number | undefined {
  return at > now && at - now <= MAX_RESET_HORIZON_MS ? at : undefined;
}

function numberHeader(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
