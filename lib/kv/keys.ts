/**
 * Every KV key the gateway reads or writes, in one place (as
 * `denoland/deno_kv_oauth` keeps its `_kv.ts`): what lives where, and who
 * owns it. All keys start with {@linkcode ROOT}, so one KV can hold other
 * data too. Values and their meaning are described by the owning module.
 *
 * | key                                                      | owner                               |
 * | -------------------------------------------------------- | ----------------------------------- |
 * | `generation`                                             | `lib/accounts/health.ts`            |
 * | `account`, id, `cooldown` / `strikes` / `disabled`       | `lib/accounts/health.ts`            |
 * | `account`, id, `model`, model                            | `lib/accounts/health.ts`            |
 * | `dir-generation`; `dir`, kind, id                        | `lib/accounts/directory.ts`         |
 * | `error-rules`                                            | `lib/failover/rule_store.ts`        |
 * | `session`, scope, sha256(session key)                    | `lib/accounts/sessions.ts`          |
 * | `quota`, account id                                      | `lib/accounts/quota.ts`             |
 * | `oauth`, account id, `tokens` / `lease`                  | `lib/providers/oauth/token_store.ts`|
 * | `response-owner`, response id                            | `lib/accounts/response_owners.ts`   |
 * | `thinking-signer`, sha256(signature)                     | `lib/accounts/thinking_signers.ts`  |
 * | `slots`, `account` / `key`, id                           | `lib/leases/slots.ts`               |
 * | `rpm`, key id, minute                                    | `lib/usage/limits.ts`               |
 * | `usage`, day, key, account, model, counter               | `lib/usage/recorder.ts`             |
 * | `usage-key`, day, key                                    | `lib/usage/recorder.ts`             |
 * | `failover-log`, epoch ms, uuid                           | `lib/observe/failover_log.ts`       |
 * | `series`, minute, process id                             | `lib/observe/minute_series.ts`      |
 * | `oauth-flow`, flow id                                    | `lib/providers/oauth/flows.ts`      |
 * | `oauth-signin`                                           | `lib/providers/oauth/token_store.ts`|
 * | `admin-token`                                            | `lib/routes/admin/admin_token.ts`   |
 * | `trial`, account id, `last` / `claim`                    | `lib/accounts/trial_log.ts`         |
 * | `alert-config`; `alert-episode`, event, subject            | `lib/observe/alerts.ts`             |
 * | `alert-delivery`, epoch ms, uuid                         | `lib/observe/alert_delivery.ts`     |
 * | `pricing`                                                | `lib/usage/pricing_store.ts`        |
 * | `spend`, `key` / `group`, id, window                     | `lib/usage/spend.ts`                |
 * | `write-once`, batch id                                   | `lib/kv/write_behind.ts`            |
 *
 * @module
 */

/** Every key the gateway writes starts with this. */
export const ROOT = "switchyard";

/** Bumped by every account-health write; a request re-lists health only when it moved. */
export const GENERATION_KEY: Deno.KvKey = [ROOT, "generation"];

/** Every account's health records. */
export const ACCOUNTS_PREFIX: Deno.KvKey = [ROOT, "account"];

/** One of an account's health records. */
export function accountKey(
  accountId: string,
  field: "cooldown" | "strikes" | "disabled",
): Deno.KvKey {
  return [...ACCOUNTS_PREFIX, accountId, field];
}

/** Every model cooldown of one account. */
export function accountModelsPrefix(accountId: string): Deno.KvKey {
  return [...ACCOUNTS_PREFIX, accountId, "model"];
}

/** The cooldown of one (account, model) pair. */
export function accountModelKey(accountId: string, model: string): Deno.KvKey {
  return [...accountModelsPrefix(accountId), model];
}

/** Bumped by every directory change; read with {@linkcode GENERATION_KEY} on every request. */
export const DIRECTORY_GENERATION_KEY: Deno.KvKey = [ROOT, "dir-generation"];

/** Keys, accounts and groups written through the management API. */
export const DIRECTORY_PREFIX: Deno.KvKey = [ROOT, "dir"];

/** One directory entry. */
export function directoryKey(kind: "key" | "account" | "group", id: string): Deno.KvKey {
  return [...DIRECTORY_PREFIX, kind, id];
}

/** The error rules set through the management API. */
export const ERROR_RULES_KEY: Deno.KvKey = [ROOT, "error-rules"];

/** The price overrides set through the management API. */
export const PRICING_KEY: Deno.KvKey = [ROOT, "pricing"];

/** Micro-dollars a key or group spent in one budget window (`lib/usage/budgets.ts`). */
export function spendKey(
  scope: "key" | "group",
  id: string,
  window: string | number,
): Deno.KvKey {
  return [ROOT, "spend", scope, id, window];
}

/** A session's binding to an account; `digest` is the SHA-256 of the session key. */
export function sessionKey(scope: string, digest: string): Deno.KvKey {
  return [ROOT, "session", scope, digest];
}

/** Every account's quota snapshot. */
export const QUOTA_PREFIX: Deno.KvKey = [ROOT, "quota"];

/** One account's quota snapshot. */
export function quotaKey(accountId: string): Deno.KvKey {
  return [...QUOTA_PREFIX, accountId];
}

/** An OAuth account's sealed tokens, or its refresh lease. */
export function oauthKey(accountId: string, record: "tokens" | "lease"): Deno.KvKey {
  return [ROOT, "oauth", accountId, record];
}

/** Who created a stored response. */
export function responseOwnerKey(responseId: string): Deno.KvKey {
  return [ROOT, "response-owner", responseId];
}

/** Which account signed a thinking block; `digest` is the SHA-256 of its signature. */
export function thinkingSignerKey(digest: string): Deno.KvKey {
  return [ROOT, "thinking-signer", digest];
}

/** The mark a summed batch leaves, so a retry after a timeout cannot add it twice. */
export function writeOnceKey(batchId: string): Deno.KvKey {
  return [ROOT, "write-once", batchId];
}

/** The concurrency leases of an account or a client key. */
export function slotsKey(scope: "account" | "key", id: string): Deno.KvKey {
  return [ROOT, "slots", scope, id];
}

/** A client key's request count in one UTC minute. */
export function rpmKey(keyId: string, minute: number): Deno.KvKey {
  return [ROOT, "rpm", keyId, minute];
}

/** Every usage counter of one UTC day. */
export function usageDayPrefix(day: string): Deno.KvKey {
  return [ROOT, "usage", day];
}

/**
 * One usage counter. Its parts, in order: day (2), key (3), account (4),
 * model (5), counter (6); `lib/usage/recorder.ts` reads them back by index.
 */
export function usageKey(
  day: string,
  key: string,
  account: string,
  model: string,
  counter: string,
): Deno.KvKey {
  return [...usageDayPrefix(day), key, account, model, counter];
}

/** A client key's tokens on one UTC day, for `dailyTokens`. */
export function keyTokensKey(day: string, key: string): Deno.KvKey {
  return [ROOT, "usage-key", day, key];
}

/** Recent failovers, for the dashboard. */
export const FAILOVER_LOG_PREFIX: Deno.KvKey = [ROOT, "failover-log"];

/** One recent failover. */
export function failoverLogKey(at: number, id: string): Deno.KvKey {
  return [...FAILOVER_LOG_PREFIX, at, id];
}

/** Every process's per-minute totals, for the dashboard's charts. */
export const SERIES_PREFIX: Deno.KvKey = [ROOT, "series"];

/** One process's totals of one minute (epoch ms of its start). */
export function seriesKey(minute: number, process: string): Deno.KvKey {
  return [...SERIES_PREFIX, minute, process];
}

/** A sign-in in progress (PKCE verifier sealed, expected state, the account to create). */
export function oauthFlowKey(flow: string): Deno.KvKey {
  return [ROOT, "oauth-flow", flow];
}

/** Changes on every new sign-in; every gateway then drops the OAuth tokens it holds in memory. */
export const SIGN_IN_GENERATION_KEY: Deno.KvKey = [ROOT, "oauth-signin"];

/** The SHA-256 of the admin token made on a first run (no `SWITCHYARD_ADMIN_TOKEN`). */
export const ADMIN_TOKEN_KEY: Deno.KvKey = [ROOT, "admin-token"];

/** Every account's last test and scheduled-check claim. */
export const TRIAL_PREFIX: Deno.KvKey = [ROOT, "trial"];

/** An account's last test, or the claim on its scheduled check. */
export function trialKey(accountId: string, record: "last" | "claim"): Deno.KvKey {
  return [...TRIAL_PREFIX, accountId, record];
}

/** The alert settings stored through `PUT /admin/alerts` (sealed). */
export const ALERT_CONFIG_KEY: Deno.KvKey = [ROOT, "alert-config"];

/** An alert episode: the condition was sent once and has not ended. */
export function alertEpisodeKey(event: string, subject: string): Deno.KvKey {
  return [ROOT, "alert-episode", event, subject];
}

/** Recent webhook deliveries, for the console. */
export const ALERT_DELIVERY_PREFIX: Deno.KvKey = [ROOT, "alert-delivery"];

/** One webhook delivery. */
export function alertDeliveryKey(at: number, id: string): Deno.KvKey {
  return [...ALERT_DELIVERY_PREFIX, at, id];
}
