/**
 * What the dashboard shows, as one JSON document: every account's state
 * (with its cooldown end, strikes, quota snapshot where one is known, and
 * today's tokens), recent failovers, and today's usage per key. Served by
 * `GET /admin/dashboard` and pushed over `GET /admin/events`.
 *
 * @module
 */

import type { GroupInfo, KeyInfo } from "../../accounts/directory.ts";
import type { FailoverEvent, FailoverLog } from "../../observe/failover_log.ts";
import type { MinuteSeries, SeriesView } from "../../observe/minute_series.ts";
import { type UsageRecorder, type UsageRow, utcDay } from "../../usage/recorder.ts";

/** Today's totals for one account or key. */
export type DayTotals = Omit<UsageRow, "id">;

/** The dashboard document. */
export interface DashboardSnapshot {
  /** UTC day the totals are for. */
  day: string;
  accounts: (Record<string, unknown> & { id: string; today: DayTotals })[];
  failovers: FailoverEvent[];
  keys: (Omit<KeyInfo, "createdAt"> & { today: DayTotals })[];
  /** Every group, for the console (when the source gives them). */
  groups?: GroupInfo[];
  /** The last hour by minute, for the charts (when the series is kept). */
  series?: SeriesView;
}

/** Where the snapshot's parts come from. */
export interface SnapshotSources {
  /** Rows as `GET /admin/accounts` returns them. */
  accounts(): Promise<(Record<string, unknown> & { id: string })[]>;
  keys(): KeyInfo[];
  groups?(): GroupInfo[];
  usage: UsageRecorder;
  failovers: FailoverLog;
  series?: MinuteSeries;
}

const ZERO: DayTotals = Object.freeze({ input: 0, output: 0, cached: 0, requests: 0, cost: 0 });

/** Builds the snapshot. */
export async function dashboardSnapshot(
  sources: SnapshotSources,
  now = Date.now(),
): Promise<DashboardSnapshot> {
  const day = utcDay(now);
  const [accounts, byAccount, byKey, failovers, series] = await Promise.all([
    sources.accounts(),
    sources.usage.query(day, day, "account"),
    sources.usage.query(day, day, "key"),
    sources.failovers.recent(20, now),
    sources.series?.view(now),
  ]);
  const accountTotals = new Map(byAccount.map(({ id, ...totals }) => [id, totals]));
  const keyTotals = new Map(byKey.map(({ id, ...totals }) => [id, totals]));
  return {
    day,
    accounts: accounts.map((row) => ({ ...row, today: accountTotals.get(row.id) ?? ZERO })),
    failovers,
    keys: sources.keys().map(({ createdAt: _createdAt, ...key }) => ({
      ...key,
      today: keyTotals.get(key.id) ?? ZERO,
    })),
    ...(sources.groups ? { groups: sources.groups() } : {}),
    ...(series ? { series } : {}),
  };
}
