/**
 * The `alerts` section: webhooks told of account and group events
 * (`lib/observe/alerts.ts`), `{"webhooks": [{"id"?, "url", "secret"?,
 * "events"?, "format"?}], "quotaPercent"?}`. A webhook's URL and secret are
 * secrets (a Slack webhook URL is a credential): never returned or logged.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { Fields } from "./fields.ts";

/** Every event a webhook may be told of. `budget.*`: `lib/usage/budget_gate.ts`. */
export const ALERT_EVENTS = [
  "account.disabled",
  "account.reauth",
  "account.quota",
  "account.recovered",
  "group.exhausted",
  "budget.alert",
  "budget.exhausted",
] as const;

/** One alert event name. */
export type AlertEvent = typeof ALERT_EVENTS[number];

/** How a webhook's body is written. */
export type AlertFormat = "json" | "slack";

/** One webhook. */
export interface Webhook {
  /** A name for the console and the delivery log (default `webhook-<n>`). */
  id: string;
  url: string;
  /** Signs each body (`x-switchyard-signature`); none means unsigned. */
  secret?: string;
  /** The events it gets; every event when absent. */
  events?: AlertEvent[];
  format: AlertFormat;
}

/** The `alerts` section, with defaults filled in. */
export interface AlertSettings {
  webhooks: Webhook[];
  /** A quota window at or above this percent used is an `account.quota` event (default 90). */
  quotaPercent: number;
}

/** The default `account.quota` threshold. */
export const DEFAULT_QUOTA_PERCENT = 90;

/**
 * Reads an `alerts` object. `previous` (the stored settings) lets a webhook
 * given by `id` alone keep its stored URL and secret: they are write-only.
 */
export function readAlerts(fields: Fields, previous?: AlertSettings): AlertSettings {
  fields.onlyKnown(["webhooks", "quotaPercent"]);
  const webhooks = fields.has("webhooks")
    ? fields.objects("webhooks").map((hook, index) => readWebhook(hook, index, previous))
    : [];
  const ids = new Set<string>();
  webhooks.forEach((hook, index) => {
    if (ids.has(hook.id)) {
      throw new ConfigError(`${fields.at("webhooks")}[${index}].id`, `duplicate id "${hook.id}"`);
    }
    ids.add(hook.id);
  });
  return {
    webhooks,
    quotaPercent: fields.number("quotaPercent", DEFAULT_QUOTA_PERCENT, 1, 100),
  };
}

function readWebhook(fields: Fields, index: number, previous?: AlertSettings): Webhook {
  fields.onlyKnown(["id", "url", "secret", "events", "format"]);
  const id = fields.string("id", `webhook-${index + 1}`);
  const stored = previous?.webhooks.find((hook) => hook.id === id);
  const url = fields.has("url") || !stored ? fields.string("url") : stored.url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(fields.at("url"), "must be an absolute http(s) URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(fields.at("url"), "must be an absolute http(s) URL");
  }
  const hook: Webhook = { id, url, format: fields.oneOf("format", ["json", "slack"], "json") };
  const secret = fields.has("secret") ? fields.string("secret") : stored?.secret;
  if (secret !== undefined) hook.secret = secret;
  if (fields.has("events")) {
    hook.events = fields.strings("events").map((event, i) => {
      if (!(ALERT_EVENTS as readonly string[]).includes(event)) {
        throw new ConfigError(
          `${fields.at("events")}[${i}]`,
          `unknown event "${event}" (one of ${ALERT_EVENTS.join(", ")})`,
        );
      }
      return event as AlertEvent;
    });
  }
  return hook;
}

/** A webhook as the API shows it: no URL path or secret, only that they are set. */
export function publicWebhook(hook: Webhook): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: hook.id,
    url: `${new URL(hook.url).origin}/…`,
    format: hook.format,
    hasSecret: hook.secret !== undefined,
  };
  if (hook.events) view.events = hook.events;
  return view;
}
