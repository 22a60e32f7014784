/**
 * Sending one alert to one webhook: the body (`json`: the payload itself;
 * `slack`: `{"text": "..."}`), the headers `x-switchyard-event` and
 * `x-switchyard-signature: sha256=<hex HMAC-SHA256 of the raw body with the
 * webhook's secret>`, retries with backoff while the receiver fails, and the
 * last deliveries kept in KV for the console. A webhook's URL and secret
 * never reach a log or a delivery record: the webhook is named by its id.
 *
 * @module
 */

import type { AlertEvent, Webhook } from "../config/alerts.ts";
import { hmacSha256Signature } from "../crypto/digest.ts";
import { ALERT_DELIVERY_PREFIX, alertDeliveryKey } from "../kv/keys.ts";
import { KvReachability } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { logWarning } from "../log.ts";

/** What a webhook is sent (the `json` format's body). */
export interface AlertPayload {
  /** The event, or `test` for the console's Send test. */
  event: AlertEvent | "test";
  /** ISO time of the event. */
  at: string;
  account?: string;
  group?: string;
  key?: string;
  /** What happened: `message` in words, and the event's own fields. */
  detail: { message: string } & Record<string, unknown>;
}

/** One delivery as the console shows it. */
export interface DeliveryRecord {
  at: number;
  webhook: string;
  event: string;
  ok: boolean;
  /** The receiver's last status, when it answered. */
  status?: number;
  error?: string;
  attempts: number;
}

/** How long delivery records are kept. */
const KEEP_MS = 7 * 24 * 3600_000;
/** How long one attempt may take by default: a receiver that hangs is cut off. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/** The body a webhook gets for `payload`. */
export function webhookBody(format: Webhook["format"], payload: AlertPayload): string {
  return JSON.stringify(format === "slack" ? { text: slackText(payload) } : payload);
}

/** A readable line for Slack: what, about whom, and why. */
export function slackText(payload: AlertPayload): string {
  const about = [
    payload.account ? `account \`${payload.account}\`` : null,
    payload.group ? `group \`${payload.group}\`` : null,
    payload.key ? `key \`${payload.key}\`` : null,
  ].filter(Boolean).join(", ");
  return `:rotating_light: *${payload.event}*${
    about ? ` ${about}` : ""
  }: ${payload.detail.message}`;
}

/** Sends alerts and keeps the delivery log. */
export class Deliveries {
  readonly #pending = new Set<Promise<unknown>>();
  /** Aborted at shutdown: no more retries, and a wait for one ends at once. */
  readonly #closing = new AbortController();

  constructor(
    private readonly kv: Deno.Kv,
    /** Waits between attempts (default 1 s, 5 s, 30 s: four attempts in all). */
    private readonly retryDelaysMs: readonly number[] = [1_000, 5_000, 30_000],
    /** How long one attempt may take (default 10 s). */
    private readonly attemptTimeoutMs = ATTEMPT_TIMEOUT_MS,
    /** Bounds the log's KV calls: a KV that is down never holds a delivery (or a shutdown). */
    private readonly reach: KvReachability = new KvReachability(),
  ) {}

  /**
   * Sends `payload` to `hook` in the background, retrying unless `once` (the
   * console's Send test, which someone waits for); resolves with the final record.
   */
  send(hook: Webhook, payload: AlertPayload, once = false): Promise<DeliveryRecord> {
    const delivery = this.#deliver(hook, payload, once ? [] : this.retryDelaysMs);
    const tracked = delivery.catch(() => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    return delivery;
  }

  /** The last `limit` deliveries, newest first. */
  async recent(limit = 50): Promise<DeliveryRecord[]> {
    const entries = await this.reach.call(
      "read alert deliveries",
      () =>
        Array.fromAsync(this.kv.list<DeliveryRecord>({ prefix: ALERT_DELIVERY_PREFIX }, {
          reverse: true,
          limit,
        })),
    );
    return entries.map((entry) => entry.value);
  }

  /**
   * Stops retrying (shutdown): a delivery waiting to retry is recorded as it
   * stands, an attempt in flight still ends within its timeout, so a
   * receiver that is down or hangs never holds a shutdown for the backoff.
   */
  close(): void {
    this.#closing.abort();
  }

  /** Waits for deliveries under way (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #deliver(
    hook: Webhook,
    payload: AlertPayload,
    retryDelaysMs: readonly number[],
  ): Promise<DeliveryRecord> {
    const body = webhookBody(hook.format, payload);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "switchyard-alerts",
      "x-switchyard-event": payload.event,
    };
    if (hook.secret) {
      headers["x-switchyard-signature"] = await hmacSha256Signature(hook.secret, body);
    }
    let last: { status?: number; error?: string } = {};
    let attempts = 0;
    for (const wait of [0, ...retryDelaysMs]) {
      if (wait > 0 && !(await this.#pause(wait))) break;
      attempts++;
      last = await attempt(hook.url, headers, body, this.attemptTimeoutMs);
      if (last.status !== undefined && last.status < 300) break;
    }
    const ok = last.status !== undefined && last.status < 300;
    const record: DeliveryRecord = {
      at: Date.now(),
      webhook: hook.id,
      event: payload.event,
      ok,
      attempts,
    };
    if (last.status !== undefined) record.status = last.status;
    if (!ok) {
      record.error = last.error ?? `answered ${last.status}`;
      logWarning("alert delivery failed", {
        webhook: hook.id,
        event: payload.event,
        ...last,
        attempts,
      });
    }
    // The log is a convenience: a record the KV does not take within its deadline is not kept.
    await this.reach.call(
      "log an alert delivery",
      () =>
        withLockRetry(() =>
          this.kv.set(alertDeliveryKey(record.at, crypto.randomUUID()), record, {
            expireIn: KEEP_MS,
          })
        ),
    ).catch(() => {});
    return record;
  }

  /** Waits `ms` before a retry; `false` when the gateway shuts down meanwhile (no retry). */
  #pause(ms: number): Promise<boolean> {
    const signal = this.#closing.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
  }
}

/** One POST; never throws, never says the URL. */
async function attempt(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status?: number; error?: string }> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return { status: response.status };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return { error: timedOut ? "timed out" : "could not connect" };
  }
}
