/**
 * The last test of every account (`POST /admin/accounts/{id}/test` or a
 * scheduled health check), kept in KV apart from client usage so the
 * console shows it on every process. Also the scheduled checks' claims: one
 * test per account per interval across all processes.
 *
 * @module
 */

import { TRIAL_PREFIX, trialKey } from "../kv/keys.ts";
import { withLockRetry } from "../kv/retry.ts";

/** One test as recorded. */
export interface TrialRecord {
  /** When it ran, epoch ms. */
  at: number;
  ok: boolean;
  status?: number;
  ms: number;
  model: string;
  error?: string;
  /** Who asked: the admin (API, console, CLI) or a scheduled check. */
  source: "admin" | "scheduled";
  /** The pass put a cooling or disabled account back in service. */
  recovered?: boolean;
}

/** Records last tests and claims scheduled ones. */
export class TrialLog {
  constructor(private readonly kv: Deno.Kv) {}

  /** Keeps `record` as the account's last test. */
  async record(accountId: string, record: TrialRecord): Promise<void> {
    await withLockRetry(() => this.kv.set(trialKey(accountId, "last"), record));
  }

  /** Every account's last test. */
  async all(): Promise<Map<string, TrialRecord>> {
    const found = new Map<string, TrialRecord>();
    for await (const entry of this.kv.list<TrialRecord>({ prefix: TRIAL_PREFIX })) {
      const [, , accountId, field] = entry.key as string[];
      if (field === "last") found.set(accountId, entry.value);
    }
    return found;
  }

  /**
   * Claims the account's scheduled check due at `now` (every `everyMs`) in a
   * checked commit: of all processes racing, exactly one gets `true` per
   * interval.
   */
  async claim(accountId: string, everyMs: number, now = Date.now()): Promise<boolean> {
    const key = trialKey(accountId, "claim");
    const current = await withLockRetry(() => this.kv.get<number>(key));
    if (current.value !== null && current.value + everyMs > now) return false;
    const result = await withLockRetry(() =>
      this.kv.atomic().check(current).set(key, now, { expireIn: everyMs * 2 }).commit()
    );
    return result.ok;
  }
}

/** Account rows with each account's last test as `lastTest`, for the console and the admin API. */
export async function withLastTests<Row extends { id: string }>(
  rows: Row[],
  log: TrialLog,
): Promise<(Row & { lastTest?: TrialRecord })[]> {
  const last = await log.all();
  return rows.map((row) => {
    const test = last.get(row.id);
    return test ? { ...row, lastTest: test } : row;
  });
}
