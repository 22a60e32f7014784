/**
 * Budget windows and verdicts, pure. A budget (`{usd, per, alertAt?}` on a
 * key or a group) is spent when the micro-dollars recorded in its window
 * reach `usd`; a request is then refused until the window resets.
 *
 * - `day`, `week` (from Monday) and `month` are UTC calendar windows: one
 *   counter each, named by the window's first day; it resets at the next one.
 * - `5h` is rolling: spend is kept in {@linkcode BUCKET_MS} buckets and the
 *   window holds the buckets that started less than 5 hours ago (so it
 *   covers between 4h55m and 5h). When spent, it resets when enough of its
 *   oldest buckets have left it for the rest to be under `usd`.
 *
 * @module
 */

import type { Budget, BudgetWindow } from "../config/types.ts";

/** Width of one rolling-window bucket. */
export const BUCKET_MS = 5 * 60_000;
/** The rolling window's length. */
export const ROLLING_MS = 5 * 3_600_000;
const DAY_MS = 86_400_000;

/** A calendar window: its counter's name and when it ends (epoch ms). */
export interface CalendarWindow {
  id: string;
  end: number;
}

/** The calendar window of `per` that holds `at`. */
export function calendarWindow(per: Exclude<BudgetWindow, "5h">, at: number): CalendarWindow {
  const dayStart = Math.floor(at / DAY_MS) * DAY_MS;
  if (per === "day") return { id: `day:${isoDay(dayStart)}`, end: dayStart + DAY_MS };
  if (per === "week") {
    const weekday = (new Date(dayStart).getUTCDay() + 6) % 7; // Monday is 0
    const start = dayStart - weekday * DAY_MS;
    return { id: `week:${isoDay(start)}`, end: start + 7 * DAY_MS };
  }
  const date = new Date(at);
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return { id: `month:${isoDay(dayStart).slice(0, 7)}`, end };
}

/** The rolling bucket `at` falls in. */
export function bucketOf(at: number): number {
  return Math.floor(at / BUCKET_MS);
}

/** The first bucket still inside the rolling window at `now`. */
export function firstLiveBucket(now: number): number {
  return Math.floor((now - ROLLING_MS) / BUCKET_MS) + 1;
}

/** What a budget has spent in its current window, and when that window (or enough of it) resets. */
export interface BudgetState {
  budget: Budget;
  /** Micro-dollars spent in the window. */
  spent: number;
  /** Epoch ms from which a request fits again (the window's end, for calendar windows). */
  resetsAt: number;
}

/** A rolling budget's state from its live buckets (bucket number → micro-dollars). */
export function rollingState(
  budget: Budget,
  buckets: ReadonlyMap<number, number>,
  now: number,
): BudgetState {
  const first = firstLiveBucket(now);
  const live = [...buckets].filter(([bucket]) => bucket >= first).sort(([a], [b]) => a - b);
  const spent = live.reduce((sum, [, micros]) => sum + micros, 0);
  const limit = microsOf(budget.usd);
  let left = spent;
  let resetsAt = now;
  for (const [bucket, micros] of live) {
    if (left < limit) break;
    left -= micros;
    // Bucket b leaves the window at b × BUCKET_MS + 5h (see firstLiveBucket).
    resetsAt = bucket * BUCKET_MS + ROLLING_MS;
  }
  return { budget, spent, resetsAt };
}

/** The budget that refuses a request: of those spent, the one that resets last; else none. */
export function spentBudget<S extends BudgetState>(states: readonly S[]): S | undefined {
  let refusing: S | undefined;
  for (const state of states) {
    if (state.spent < microsOf(state.budget.usd)) continue;
    if (!refusing || state.resetsAt > refusing.resetsAt) refusing = state;
  }
  return refusing;
}

/** Budgets past their `alertAt` fraction but not spent. */
export function alerting(states: readonly BudgetState[]): BudgetState[] {
  return states.filter(({ budget, spent }) =>
    budget.alertAt !== undefined && spent >= microsOf(budget.usd) * budget.alertAt &&
    spent < microsOf(budget.usd)
  );
}

/** The refusal message: which budget, what was spent, when it resets. */
export function budgetMessage(
  scope: "key" | "group",
  id: string,
  state: BudgetState,
  now: number,
): { message: string; retryAfter: number } {
  const retryAfter = Math.max(1, Math.ceil((state.resetsAt - now) / 1000));
  const { usd, per } = state.budget;
  const window = per === "5h" ? "rolling 5-hour" : `${NAMES[per]} (UTC)`;
  const message = `${scope} "${id}" has spent its ${window} budget of $${usd} ` +
    `($${(state.spent / 1_000_000).toFixed(2)} spent); it resets at ` +
    `${new Date(state.resetsAt).toISOString()}, retry in ${retryAfter}s`;
  return { message, retryAfter };
}

const NAMES: Record<Exclude<BudgetWindow, "5h">, string> = {
  day: "daily",
  week: "weekly",
  month: "monthly",
};

/** USD as whole micro-dollars. */
export function microsOf(usd: number): number {
  return Math.round(usd * 1_000_000);
}

function isoDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}
