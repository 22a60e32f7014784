/**
 * Claude subscription windows: Anthropic's unified rate-limit headers,
 * `anthropic-ratelimit-unified-<window>-reset` (Unix seconds),
 * `-utilization` (a fraction or a percent) and `-status` per window
 * (`5h`, `7d`, `7d_opus`, ...), and an overall `-reset` and `-status`.
 *
 * @module
 */

import type { QuotaWindow } from "../../accounts/model.ts";
import { numberHeader, parseUnixSeconds } from "../time_values.ts";

const PREFIX = "anthropic-ratelimit-unified-";

/** The overall window's name; its reset counts only when its status is not `allowed`. */
export const UNIFIED_WINDOW = "anthropic-unified";

/** The unified windows the headers report. */
export function unifiedWindows(headers: Headers, now: number): QuotaWindow[] {
  const names = new Set<string>();
  for (const name of headers.keys()) {
    const match = name.startsWith(PREFIX)
      ? /^anthropic-ratelimit-unified-(.+)-reset$/.exec(name)
      : null;
    if (match) names.add(match[1]);
  }
  const windows: QuotaWindow[] = [];
  for (const window of names) {
    const resetAt = parseUnixSeconds(headers.get(`${PREFIX}${window}-reset`), now);
    const utilization = numberHeader(headers, `${PREFIX}${window}-utilization`);
    const usedPercent = utilization === undefined
      ? undefined
      : utilization <= 1
      ? utilization * 100
      : utilization;
    const status = headers.get(`${PREFIX}${window}-status`);
    windows.push({
      name: `anthropic-${window}`,
      usedPercent,
      resetAt,
      exhausted: status === "rejected" || (usedPercent ?? 0) >= 100,
    });
  }
  const overallReset = parseUnixSeconds(headers.get(`${PREFIX}reset`), now);
  const overallStatus = headers.get(`${PREFIX}status`);
  if (overallReset !== undefined || overallStatus !== null) {
    windows.push({
      name: UNIFIED_WINDOW,
      resetAt: overallReset,
      exhausted: overallStatus === "rejected",
    });
  }
  return windows;
}

/**
 * Whether a window speaks for less than the whole account: a model's own
 * window (`7d_opus`, `7d_sonnet`), which rests that model only (a model
 * cooldown), or the overall status, which speaks for the request just made
 * (an Opus request turned down by `7d_opus` is `rejected` there too).
 */
export function isScopedUnifiedWindow(name: string): boolean {
  return name === UNIFIED_WINDOW || (name.startsWith("anthropic-") && name.includes("_"));
}

/** Is the overall status anything but `allowed` (so its reset counts)? */
export function unifiedNotAllowed(headers: Headers): boolean {
  return !(headers.get(`${PREFIX}status`) ?? "").startsWith("allowed");
}

/** Do these headers carry unified windows? */
export function hasUnifiedWindows(headers: Headers): boolean {
  return headers.has(`${PREFIX}status`) || headers.has(`${PREFIX}5h-utilization`);
}
