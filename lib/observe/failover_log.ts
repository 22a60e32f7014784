/**
 * Recent failovers, shared by every process through KV, for the dashboard.
 * Each failover is one small record under
 * `["switchyard", "failover-log", epochMs, uuid]` that expires after a day;
 * the newest are listed in reverse. Written only when a request failed over,
 * never on the success path.
 *
 * @module
 */

import { FAILOVER_LOG_PREFIX, failoverLogKey } from "../kv/keys.ts";
import { KvReachability } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { RetryQueue } from "../kv/retry_queue.ts";

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

/** Stores and lists recent failovers. */
export class FailoverLog {
  /** Writes under way: this process's readers wait for them (it reads its own writes). */
  readonly #writing = new Set<Promise<unknown>>();

  readonly #retries: RetryQueue;

  constructor(
    private readonly kv: Deno.Kv,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#retries = new RetryQueue(reach, "failover log write");
  }

  /**
   * Stores failovers. The answer need not wait for it (a failover is already
   * slower than a success): this process's {@linkcode recent} waits instead.
   */
  record(events: readonly FailoverEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const write = this.#write(events);
    this.#writing.add(write);
    return write.finally(() => this.#writing.delete(write));
  }

  /** Resolves once every write started so far is done. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#writing]);
    await this.#retries.settled();
  }

  /** Shutdown: one last try of writes kept while the KV was down. */
  close(): Promise<void> {
    return this.#retries.close();
  }

  /** Within the KV deadline; kept and retried while the KV is down (the keys are fixed first). */
  async #write(events: readonly FailoverEvent[]): Promise<void> {
    const keyed = events.map((event) => ({
      key: failoverLogKey(Date.parse(event.at), crypto.randomUUID()),
      event,
    }));
    await this.#retries.put(JSON.stringify(keyed[0].key), () =>
      withLockRetry(() => {
        const op = this.kv.atomic();
        for (const { key, event } of keyed) op.set(key, event, { expireIn: KEEP_MS });
        return op.commit();
      }));
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
