/**
 * Codex (ChatGPT) usage windows and resets: every answer carries
 * `x-codex-primary-*` and `x-codex-secondary-*` headers (used percent, reset
 * after seconds, reset at), and a usage-limit error names its reset in the
 * body (`error.resets_at`, Unix seconds, or `error.resets_in_seconds`).
 *
 * @module
 */

import type { QuotaWindow } from "../../accounts/model.ts";
import { errorObject } from "../../protocols/error_body.ts";
import { latest, numberHeader, parseUnixSeconds, plausible } from "../time_values.ts";

/** The Codex windows the headers report. */
export function codexWindows(headers: Headers, now: number): QuotaWindow[] {
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
  return windows;
}

/** Do these headers carry Codex windows? */
export function hasCodexWindows(headers: Headers): boolean {
  return headers.has("x-codex-primary-used-percent") ||
    headers.has("x-codex-secondary-used-percent");
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
