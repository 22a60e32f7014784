/**
 * Recent failovers, shared by every process through KV, for the dashboard.
 * Each failover is one small record under
 * `["switchyard", "failover-log", epochMs, uuid]` that expires after a day;
 * the newest are listed in reverse. Recorded only when a request failed over,
 * never on the success path, and written in batches ({@linkcode FAILOVER_LOG_FLUSH_MS}):
 * every commit to a KV file makes each process read the shared state again
 * on its next request (the file changed), so a commit per failover cost every
 * following request a state read (0.4 ms a failover, by `deno task bench
 * --only failover`). Another process's console sees a failover within the batch's wait.
 *
 * @module
 */

import { FAILOVER_LOG_PREFIX, failoverLogKey } from "../kv/keys.ts";
import { KvReachability } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { RetryQueue } from "../kv/retry_queue.ts";
import { WriteBehind } from "../kv/write_behind.ts";

/** One failed attempt that moved a request on (or ended it). */
export interface FailoverEvent {
  /** ISO-8601 time of the attempt. */
  at: string;
  account: string;
  /** Why: `forbidden`, `quota`, `rateLimited`, `overloaded`, `serverError`, `unreachable`, `disabled`, `rule`. */
  reason: string;
  status?: number;
  /** The error rule that fired, by name (`id` or `errorRules[i]`). */
  rule?: string;
  key: string;
  /** `websocket` when the request was a Responses WebSocket turn. */
  transport?: string;
}

const KEEP_MS = 24 * 3600_000;

/** How long a failover waits to be written with the ones after it, ms. */
export const FAILOVER_LOG_FLUSH_MS = 1000;

/** Records per commit (a KV commit takes at most 1000 mutations and 800 KiB). */
const PER_COMMIT = 100;

/** A failover with its key, fixed when it was recorded. */
type Keyed = { key: Deno.KvKey; event: FailoverEvent };

/** Stores and lists recent failovers. */
export class FailoverLog {
  /** Recorded, not yet handed to a write. */
  #pending: Keyed[] = [];
  readonly #batches: WriteBehind;
  readonly #retries: RetryQueue;

  constructor(
    private readonly kv: Deno.Kv,
    private readonly reach: KvReachability = new KvReachability(),
    flushMs = FAILOVER_LOG_FLUSH_MS,
  ) {
    this.#retries = new RetryQueue(reach, "failover log write");
    this.#batches = new WriteBehind(() => this.#write(), flushMs, "failover log");
  }

  /** Records failovers, written with the next batch; never holds up an answer. */
  record(events: readonly FailoverEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    for (const event of events) {
      this.#pending.push({ key: failoverLogKey(Date.parse(event.at), crypto.randomUUID()), event });
    }
    this.#batches.schedule();
    return Promise.resolve();
  }

  /** Resolves once every failover recorded so far is written (or kept to retry). */
  async settled(): Promise<void> {
    await this.#batches.flush().catch(() => {});
    await this.#retries.settled();
  }

  /** Shutdown: what is batched, and one last try of writes kept while the KV was down. */
  async close(): Promise<void> {
    await this.#batches.close().catch(() => {});
    await this.#retries.close();
  }

  /** Within the KV deadline; kept and retried while the KV is down (the keys are fixed first). */
  async #write(): Promise<void> {
    const batch = this.#pending.splice(0);
    const writes: Promise<void>[] = [];
    for (let at = 0; at < batch.length; at += PER_COMMIT) {
      const chunk = batch.slice(at, at + PER_COMMIT);
      writes.push(this.#retries.put(JSON.stringify(chunk[0].key), () =>
        withLockRetry(() => {
          const op = this.kv.atomic();
          for (const { key, event } of chunk) op.set(key, event, { expireIn: KEEP_MS });
          return op.commit();
        })));
    }
    await Promise.all(writes);
  }

  /** The newest `limit` failovers, newest first (lazy expiry is filtered by time). */
  async recent(limit = 20, now = Date.now()): Promise<FailoverEvent[]> {
    await this.settled();
    const events: FailoverEvent[] = [];
    const entries = await this.reach.call(
      "read the failover log",
      () =>
        Array.fromAsync(this.kv.list<FailoverEvent>({ prefix: FAILOVER_LOG_PREFIX }, {
          reverse: true,
          limit,
        })),
    );
    for (const entry of entries) {
      if (now - Date.parse(entry.value.at) <= KEEP_MS) events.push(entry.value);
    }
    return events;
  }
}
