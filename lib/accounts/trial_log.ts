/**
 * The last test of every account (`POST /admin/accounts/{id}/test` or a
 * scheduled health check), kept in KV apart from client usage so the
 * console shows it on every process. Also the scheduled checks' claims: one
 * test per account per interval across all processes.
 *
 * Every call is bounded by the KV deadline (`lib/kv/reachability.ts`); while
 * the KV does not answer no scheduled check is claimed (none runs), and a
 * last test's record is kept and retried until it lands.
 *
 * @module
 */

import { TRIAL_PREFIX, trialKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { RetryQueue } from "../kv/retry_queue.ts";

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
  readonly #retries: RetryQueue;

  constructor(
    private readonly kv: Deno.Kv,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#retries = new RetryQueue(reach, "last test write");
  }

  /** Keeps `record` as the account's last test (kept for a retry while the KV is down). */
  async record(accountId: string, record: TrialRecord): Promise<void> {
    await this.#retries.put(
      accountId,
      () => withLockRetry(() => this.kv.set(trialKey(accountId, "last"), record)),
    );
  }

  /** Shutdown: one last try of kept writes. */
  close(): Promise<void> {
    return this.#retries.close();
  }

  /** Every account's last test. */
  async all(): Promise<Map<string, TrialRecord>> {
    const found = new Map<string, TrialRecord>();
    const entries = await this.reach.call(
      "read last tests",
      () => Array.fromAsync(this.kv.list<TrialRecord>({ prefix: TRIAL_PREFIX })),
    );
    for (const entry of entries) {
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
    try {
      const current = await this.reach.call(
        "read a check claim",
        () => withLockRetry(() => this.kv.get<number>(key)),
      );
      if (current.value !== null && current.value + everyMs > now) return false;
      const result = await this.reach.call(
        "claim a check",
        () =>
          withLockRetry(() =>
            this.kv.atomic().check(current).set(key, now, { expireIn: everyMs * 2 }).commit()
          ),
      );
      return result.ok;
    } catch (error) {
      if (error instanceof KvUnreachable) return false;
      throw error;
    }
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
