/**
 * The directory's entries as callers see them (keys without their secrets,
 * accounts and groups with their source), the errors its edits throw, the
 * records it stores in KV, and the pure steps that turn API input into those
 * records and records back into views. `directory.ts` holds the merged view
 * and its edits; `directory_store.ts` the KV side.
 *
 * @module
 */

import type { Fields } from "../config/fields.ts";
import { readBudgets } from "../config/pricing.ts";
import type { Account, Budget, Config, Group } from "../config/types.ts";
import { sha256Hex } from "../crypto/digest.ts";
import type { Sealed } from "../crypto/secret_box.ts";
import { maskProxy } from "../http/proxy_clients.ts";

/** Where an entry came from. */
export type Source = "config" | "api";

/** A client key as the gateway sees it: never the secret itself. */
export interface KeyInfo {
  id: string;
  group: string;
  /** Requests per minute, across processes. */
  rpm?: number;
  /** Input plus output tokens per UTC day, across processes. */
  dailyTokens?: number;
  /** Requests in flight, across processes. */
  concurrency?: number;
  /** The model names (patterns) the key may ask for (config keys only). */
  allowModels?: string[];
  /** Spending caps in USD (`lib/usage/budgets.ts`). */
  budgets?: Budget[];
  source: Source;
  createdAt?: string;
}

/** A config key with the digest of its secret, which the gateway matches presented keys against. */
export type SeedKey = KeyInfo & { digest: string };

/** A group with its source. */
export interface GroupInfo extends Group {
  source: Source;
}

/** An account with its source. */
export interface AccountEntry {
  account: Account;
  source: Source;
}

/** The request conflicts with the directory: a duplicate id, or an entry still in use. */
export class DirectoryConflict extends Error {}

/** No such entry. */
export class DirectoryNotFound extends Error {}

/** Account secrets cannot be stored: `SWITCHYARD_SECRET` is not set. */
export class SecretUnavailable extends Error {}

/** The three kinds of entry, each under its own KV key prefix. */
export type Kind = "key" | "account" | "group";

/** A removed config entry: the KV value that hides it. */
export interface Tombstone {
  deleted: true;
  at: number;
}

/** A key written through the API: only the SHA-256 digest of its secret. */
export interface StoredKey {
  id: string;
  group: string;
  digest: string;
  rpm?: number;
  dailyTokens?: number;
  concurrency?: number;
  budgets?: Budget[];
  createdAt: number;
}

/** An account written through the API, sealed whole (credential included). */
export interface StoredAccount {
  id: string;
  sealed: Sealed;
  updatedAt: number;
}

/** A group written through the API. */
export interface StoredGroup extends Group {
  updatedAt: number;
}

/** The fields a key's limits are read from, in config files and API bodies alike. */
export const KEY_FIELDS = ["id", "group", "concurrency", "rpm", "dailyTokens", "budgets"];

/** Field names whose values are credentials: never returned, never logged. */
const SECRET_FIELD = /key|token|secret|password|oauth|credential/i;

/** The config file's keys as the directory seeds them, by id. */
export function seedKeys(config: Config): Map<string, SeedKey> {
  const seeded = new Map<string, SeedKey>();
  for (const key of config.keys) {
    seeded.set(key.id, {
      id: key.id,
      group: key.group,
      ...(key.rpm !== undefined ? { rpm: key.rpm } : {}),
      ...(key.dailyTokens !== undefined ? { dailyTokens: key.dailyTokens } : {}),
      ...(key.concurrency !== undefined ? { concurrency: key.concurrency } : {}),
      ...(key.allowModels !== undefined ? { allowModels: key.allowModels } : {}),
      ...(key.budgets !== undefined ? { budgets: key.budgets } : {}),
      source: "config",
      digest: sha256Hex(key.key),
    });
  }
  return seeded;
}

/** An account without its credentials, with its source and how it signs in. */
export function publicView(entry: AccountEntry): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entry.account)) {
    if (!SECRET_FIELD.test(name)) view[name] = value;
  }
  // The proxy's credentials are secrets: only its scheme, user and host are shown.
  if (entry.account.proxy !== undefined) view.proxy = maskProxy(entry.account.proxy);
  view.source = entry.source;
  // How it signs in, without the credential: a subscription (OAuth) or an API key.
  view.auth = entry.account.oauth ? "oauth" : "apiKey";
  return view;
}

/**
 * An account as config input again, for a partial update: a subscription
 * account's `apiKey` (a copy of its access token) and its empty token fields
 * are left out, or they would read as "apiKey and oauth" and as empty tokens.
 */
export function editableForm(account: Account): Record<string, unknown> {
  const { apiKey, oauth, ...rest } = account;
  if (!oauth) return { ...rest, apiKey };
  const settings: Record<string, unknown> = { tokenUrl: oauth.tokenUrl, clientId: oauth.clientId };
  if (oauth.accessToken) settings.accessToken = oauth.accessToken;
  if (oauth.refreshToken) settings.refreshToken = oauth.refreshToken;
  if (oauth.expiresAt) settings.expiresAt = oauth.expiresAt;
  if (oauth.accountId) settings.accountId = oauth.accountId;
  return { ...rest, oauth: settings };
}

/**
 * An API body whose empty `models` (`null`, `[]` or `{}`) reads as `cleared`
 * (`null` on a PUT: back to any model; left out on a POST): the console
 * clears the field by sending it empty, while a config file's empty list
 * stays an error (an account that serves nothing).
 */
export function withoutEmptyModels(input: unknown, cleared: null | undefined): unknown {
  if (input === null || typeof input !== "object" || !("models" in input)) return input;
  const models = input.models;
  const empty = models === null || (typeof models === "object" && Object.keys(models).length === 0);
  return empty ? { ...input, models: cleared } : input;
}

/**
 * A patch laid over the current fields for a partial update: the patch's
 * fields win, and a field set to `null` is dropped (back to its default).
 */
export function patched(
  current: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current, ...patch };
  for (const [name, value] of Object.entries(merged)) if (value === null) delete merged[name];
  return merged;
}

/** Reads the optional per-key limits shared by config keys and API keys. */
export function readKeyLimits(
  fields: Fields,
): Pick<KeyInfo, "rpm" | "dailyTokens" | "concurrency" | "budgets"> {
  const out: Pick<KeyInfo, "rpm" | "dailyTokens" | "concurrency" | "budgets"> = {};
  const rpm = fields.optionalInteger("rpm", 1, 1_000_000);
  const dailyTokens = fields.optionalInteger("dailyTokens", 1);
  const concurrency = fields.optionalInteger("concurrency", 1, 100_000);
  if (rpm !== undefined) out.rpm = rpm;
  if (dailyTokens !== undefined) out.dailyTokens = dailyTokens;
  if (concurrency !== undefined) out.concurrency = concurrency;
  if (fields.has("budgets")) out.budgets = readBudgets(fields, "budgets");
  return out;
}

/** A stored key as callers see it. */
export function toKeyInfo(record: StoredKey): KeyInfo {
  const { digest: _digest, createdAt, ...rest } = record;
  return { ...rest, source: "api", createdAt: new Date(createdAt).toISOString() };
}

/** Is a stored value an entry, rather than nothing or a tombstone? */
export function isLive<T>(value: T | Tombstone | null): value is T {
  return value !== null && !(typeof value === "object" && (value as Tombstone).deleted === true);
}
