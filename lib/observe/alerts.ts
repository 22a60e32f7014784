/**
 * Alerts: the webhooks in force (the config's `alerts`, replaced through
 * `PUT /admin/alerts`, sealed in KV) and sending each condition once per
 * episode across all processes. An episode is claimed in KV with a checked
 * commit before anything is sent: of four gateways that see an account
 * disabled, one sends. It ends when the condition does ({@linkcode Alerts.end}:
 * the account is back) or at its `endsAt` (a quota window's reset, the
 * first cooldown of an exhausted group to run out), and the next occurrence
 * is a new episode. Delivery, signing and retries: `alert_delivery.ts`.
 *
 * @module
 */

import { type AlertEvent, type AlertSettings, DEFAULT_QUOTA_PERCENT } from "../config/alerts.ts";
import type { SecretBox } from "../crypto/secret_box.ts";
import { ALERT_CONFIG_KEY, alertEpisodeKey } from "../kv/keys.ts";
import { KvReachability } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { logFailure } from "../log.ts";
import type { AlertPayload, Deliveries, DeliveryRecord } from "./alert_delivery.ts";

/** An event to send, before its time is stamped. */
export type AlertNotice = Omit<AlertPayload, "at" | "event"> & { event: AlertEvent };

/** An episode's claim in KV. */
interface EpisodeRecord {
  since: number;
  /** When the condition ends by itself; absent: when {@linkcode Alerts.end} says so. */
  endsAt?: number;
}

/** Context of the sealed settings. */
const SEAL_CONTEXT = "alerts";
/** Longest an episode with no end of its own is kept (its key's expiry). */
const OPEN_EPISODE_MS = 30 * 24 * 3600_000;

/** Thrown when webhook secrets would be stored without `SWITCHYARD_SECRET`. */
export class AlertSecretUnavailable extends Error {}

/** The alert settings and episodes of one gateway. */
export class Alerts {
  #settings: AlertSettings;

  constructor(
    private readonly kv: Deno.Kv,
    readonly deliveries: Deliveries,
    private readonly configured: AlertSettings | undefined,
    private readonly box: SecretBox | undefined,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#settings = configured ?? { webhooks: [], quotaPercent: DEFAULT_QUOTA_PERCENT };
  }

  /** A KV call within the KV deadline: an alert claim never hangs on a store that is down. */
  #bounded<T>(operation: () => Promise<T>): Promise<T> {
    return this.reach.call("alerts", () => withLockRetry(operation));
  }

  /** The settings in force. */
  settings(): AlertSettings {
    return this.#settings;
  }

  /** Reads the settings stored through the API (any process's), else the config's. */
  async reload(): Promise<void> {
    const stored = await this.#bounded(() =>
      this.kv.get<{ sealed: Parameters<SecretBox["open"]>[0] }>(ALERT_CONFIG_KEY)
    );
    if (!stored.value || !this.box) {
      this.#settings = this.configured ?? { webhooks: [], quotaPercent: DEFAULT_QUOTA_PERCENT };
      return;
    }
    this.#settings = JSON.parse(await this.box.open(stored.value.sealed, SEAL_CONTEXT));
  }

  /** Stores new settings (sealed: they hold URLs and secrets) for every process. */
  async replace(settings: AlertSettings): Promise<void> {
    if (!this.box) {
      throw new AlertSecretUnavailable(
        "SWITCHYARD_SECRET is not set, so webhook URLs and secrets cannot be stored",
      );
    }
    const sealed = await this.box.seal(JSON.stringify(settings), SEAL_CONTEXT);
    await this.#bounded(() => this.kv.set(ALERT_CONFIG_KEY, { sealed }));
    this.#settings = settings;
  }

  /**
   * Sends `notice` once for the episode `subject` of its event across all
   * processes; `false` when the episode was already sent (or no webhook wants it).
   */
  async raise(notice: AlertNotice, subject: string, endsAt?: number): Promise<boolean> {
    if (this.#subscribers(notice.event).length === 0) return false;
    if (!(await this.#claim(notice.event, subject, endsAt))) return false;
    this.notify(notice);
    return true;
  }

  /**
   * The budgets' hook: a key's or a group's budget passed its `alertAt`
   * level (`budget.alert`) or ran out (`budget.exhausted`). Sent once per
   * budget and window across processes; `endsAt` is when the window resets,
   * and the next crossing after it is a new episode.
   */
  budget(
    event: "budget.alert" | "budget.exhausted",
    target: { scope: "key" | "group"; id: string },
    period: string,
    detail: AlertNotice["detail"],
    endsAt: number,
  ): Promise<boolean> {
    const about = target.scope === "key" ? { key: target.id } : { group: target.id };
    return this.raise(
      { event, ...about, detail },
      `${target.scope}:${target.id}:${period}`,
      endsAt,
    );
  }

  /** Ends an open episode; `true` when this call ended it. */
  async end(event: AlertEvent, subject: string, now = Date.now()): Promise<boolean> {
    const key = alertEpisodeKey(event, subject);
    const current = await this.#bounded(() => this.kv.get<EpisodeRecord>(key));
    if (!current.value) return false;
    const open = current.value.endsAt === undefined || current.value.endsAt > now;
    const result = await this.#bounded(() => this.kv.atomic().check(current).delete(key).commit());
    return result.ok && open;
  }

  /** Sends `notice` to every webhook that wants it, without an episode (background). */
  notify(notice: AlertNotice): void {
    const payload: AlertPayload = { ...notice, at: new Date().toISOString() };
    for (const hook of this.#subscribers(notice.event)) {
      this.deliveries.send(hook, payload).catch(logFailure("alert delivery failed"));
    }
  }

  /**
   * The console's Send test: one `test` event to every webhook, awaited, one
   * attempt each (a receiver that hangs answers within the attempt timeout,
   * not after every retry).
   */
  async sendTest(): Promise<DeliveryRecord[]> {
    const payload: AlertPayload = {
      event: "test",
      at: new Date().toISOString(),
      detail: { message: "A test from the Switchyard console: this webhook works." },
    };
    return await Promise.all(
      this.#settings.webhooks.map((hook) => this.deliveries.send(hook, payload, true)),
    );
  }

  #subscribers(event: AlertEvent) {
    return this.#settings.webhooks.filter((hook) => !hook.events || hook.events.includes(event));
  }

  async #claim(event: AlertEvent, subject: string, endsAt?: number): Promise<boolean> {
    const key = alertEpisodeKey(event, subject);
    const now = Date.now();
    const current = await this.#bounded(() => this.kv.get<EpisodeRecord>(key));
    const open = current.value &&
      (current.value.endsAt === undefined || current.value.endsAt > now);
    if (open) return false;
    const record: EpisodeRecord = endsAt === undefined ? { since: now } : { since: now, endsAt };
    const expireIn = Math.max(1_000, (endsAt ?? now + OPEN_EPISODE_MS) - now + 60_000);
    const result = await this.#bounded(() =>
      this.kv.atomic().check(current).set(key, record, { expireIn }).commit()
    );
    return result.ok;
  }
}
