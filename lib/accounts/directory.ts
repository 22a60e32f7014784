/**
 * The directory: the client keys, accounts and groups the gateway serves,
 * merged from two sources. Config-file entries are the seed; entries written
 * through the management API live in Deno KV and win (a KV tombstone removes
 * a config entry). Every process builds the same merged view.
 *
 * KV layout, under `["switchyard", "dir", kind, id]` with kind `key`,
 * `account` or `group`; a deleted config entry is `{ deleted: true }`:
 * - key: `{ id, group, digest, rpm?, dailyTokens?, concurrency?, budgets?, createdAt }`;
 *   only the SHA-256 digest of the secret is stored.
 * - account: `{ id, sealed, updatedAt }`; the whole account (with its
 *   credential) is sealed with AES-GCM under `SWITCHYARD_SECRET`.
 * - group: `{ id, accounts, avoidAbovePercent?, order?, allowPaths?, updatedAt }`.
 *
 * Each change also writes `["switchyard", "dir-generation"]`. The account
 * state store reads that key in the same coalesced KV read as its own
 * generation and calls {@linkcode Directory.reload} when it moves, so a
 * revoked key is refused by every process's next request without an extra
 * per-request KV read.
 *
 * @module
 */

import { DigestLookup, sha256Hex } from "../crypto/digest.ts";
import { randomToken } from "../crypto/random.ts";
import { ConfigError } from "../config/errors.ts";
import { Fields } from "../config/fields.ts";
import { readBudgets } from "../config/pricing.ts";
import type { Account, Budget, Config, Group, Platform } from "../config/types.ts";
import { readAccount, readGroup, readId } from "../config/validate.ts";
import { maskProxy } from "../http/proxy_clients.ts";
import { DIRECTORY_GENERATION_KEY, DIRECTORY_PREFIX, directoryKey } from "../kv/keys.ts";
import { withLockRetry } from "../kv/retry.ts";
import { logError } from "../log.ts";
import type { Sealed, SecretBox } from "../crypto/secret_box.ts";

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

type Kind = "key" | "account" | "group";

interface Tombstone {
  deleted: true;
  at: number;
}

interface StoredKey {
  id: string;
  group: string;
  digest: string;
  rpm?: number;
  dailyTokens?: number;
  concurrency?: number;
  budgets?: Budget[];
  createdAt: number;
}

interface StoredAccount {
  id: string;
  sealed: Sealed;
  updatedAt: number;
}

interface StoredGroup extends Group {
  updatedAt: number;
}

/** Field names whose values are credentials: never returned, never logged. */
const SECRET_FIELD = /key|token|secret|password|oauth|credential/i;

/** How many presented client keys keep their digest in memory (see {@linkcode DigestLookup}). */
const PRESENTED_KEYS_REMEMBERED = 1_000;

/** The merged directory of keys, accounts and groups. */
export class Directory {
  #keysByDigest = new Map<string, KeyInfo>();
  readonly #presented = new DigestLookup(PRESENTED_KEYS_REMEMBERED);
  #keys = new Map<string, KeyInfo>();
  #accounts = new Map<string, AccountEntry>();
  #groups = new Map<string, GroupInfo>();
  #candidates = new Map<string, Record<Platform, Account[]>>();
  /** Decrypted API accounts by id, with the versionstamp they were decrypted at. */
  readonly #opened = new Map<string, { versionstamp: string; account: Account }>();
  #reloading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly kv: Deno.Kv,
    private readonly config: Config,
    private readonly box: SecretBox | undefined,
    private readonly configKeys: ReadonlyMap<string, KeyInfo & { digest: string }>,
  ) {}

  /** Builds the directory from the config seed and whatever KV holds. */
  static async open(options: { kv: Deno.Kv; config: Config; box?: SecretBox }): Promise<Directory> {
    const configKeys = new Map<string, KeyInfo & { digest: string }>();
    for (const key of options.config.keys) {
      configKeys.set(key.id, {
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
    const directory = new Directory(options.kv, options.config, options.box, configKeys);
    await directory.reload();
    return directory;
  }

  /** Re-reads KV and rebuilds the merged view. Reloads run one at a time, in order. */
  reload(): Promise<void> {
    const next = this.#reloading.then(() => this.#load());
    this.#reloading = next.catch(() => {});
    return next;
  }

  /** The key record for a presented secret, or `null`. */
  findKey(secret: string | null): KeyInfo | null {
    if (!secret) return null;
    return this.#presented.lookup(secret, (digest) => this.#keysByDigest.get(digest)) ?? null;
  }

  /** A group's accounts that serve `platform`, in group order. */
  candidates(groupId: string, platform: Platform): readonly Account[] {
    return this.#candidates.get(groupId)?.[platform] ?? [];
  }

  /** Every account, config entries first. */
  accounts(): Account[] {
    return [...this.#accounts.values()].map((entry) => entry.account);
  }

  account(id: string): AccountEntry | undefined {
    return this.#accounts.get(id);
  }

  keys(): KeyInfo[] {
    return [...this.#keys.values()];
  }

  /** One key by id. */
  key(id: string): KeyInfo | undefined {
    return this.#keys.get(id);
  }

  groups(): GroupInfo[] {
    return [...this.#groups.values()];
  }

  group(id: string): GroupInfo | undefined {
    return this.#groups.get(id);
  }

  /** An account without its credentials, with its source. */
  publicAccount(id: string): Record<string, unknown> | undefined {
    const entry = this.#accounts.get(id);
    if (!entry) return undefined;
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

  // ---- keys ----

  /** Creates a key; the secret is returned here and never again. */
  async createKey(input: unknown): Promise<{ key: KeyInfo; secret: string }> {
    const fields = Fields.of(input, "");
    fields.onlyKnown(["id", "group", "concurrency", "rpm", "dailyTokens", "budgets"]);
    const id = readId(fields);
    const group = fields.string("group");
    if (!this.#groups.has(group)) throw new ConfigError("group", `unknown group "${group}"`);
    const limits = readKeyLimits(fields);
    const entry = await this.#get<StoredKey | Tombstone>("key", id);
    if (this.#keys.has(id) || isLive(entry.value)) {
      throw new DirectoryConflict(`key "${id}" already exists`);
    }
    const secret = randomToken("sy-");
    const now = Date.now();
    const record: StoredKey = {
      id,
      group,
      digest: sha256Hex(secret),
      ...limits,
      createdAt: now,
    };
    await this.#write("key", id, entry, record);
    return { key: toKeyInfo(record), secret };
  }

  /**
   * Changes a key's group or limits; its secret stays. Fields left out keep
   * their value, a limit set to `null` is lifted. A config key changed here
   * becomes an API entry, which wins over the config from then on.
   */
  async updateKey(id: string, input: unknown): Promise<KeyInfo> {
    const current = this.#keys.get(id);
    if (!current) throw new DirectoryNotFound(`unknown key "${id}"`);
    const patch = Fields.of(input, "");
    patch.onlyKnown(["id", "group", "concurrency", "rpm", "dailyTokens", "budgets"]);
    if (patch.has("id") && patch.raw.id !== id) throw new ConfigError("id", "must match the URL");
    const { source: _source, createdAt: _createdAt, ...kept } = current;
    const merged: Record<string, unknown> = { ...kept, ...patch.raw };
    for (const [name, value] of Object.entries(merged)) if (value === null) delete merged[name];
    const fields = Fields.of(merged, "");
    const group = fields.string("group");
    if (!this.#groups.has(group)) throw new ConfigError("group", `unknown group "${group}"`);
    const limits = readKeyLimits(fields);
    const entry = await this.#get<StoredKey | Tombstone>("key", id);
    const stored = isLive(entry.value) ? entry.value : undefined;
    const digest = stored?.digest ?? this.configKeys.get(id)?.digest;
    if (!digest) throw new DirectoryNotFound(`unknown key "${id}"`);
    const record: StoredKey = {
      id,
      group,
      digest,
      ...limits,
      createdAt: stored?.createdAt ?? Date.now(),
    };
    await this.#write("key", id, entry, record);
    return toKeyInfo(record);
  }

  /** Revokes a key, config-seeded or not. */
  async revokeKey(id: string): Promise<void> {
    if (!this.#keys.has(id)) throw new DirectoryNotFound(`unknown key "${id}"`);
    await this.#remove("key", id, this.configKeys.has(id));
  }

  // ---- accounts ----

  /** Adds an account; 409 when the id exists. */
  async createAccount(input: unknown): Promise<Account> {
    const account = readAccount(Fields.of(withoutEmptyModels(input, undefined), ""));
    const entry = await this.#get<StoredAccount | Tombstone>("account", account.id);
    if (this.#accounts.has(account.id) || isLive(entry.value)) {
      throw new DirectoryConflict(`account "${account.id}" already exists`);
    }
    await this.#storeAccount(account, entry);
    return account;
  }

  /**
   * Creates or updates an account; fields left out keep their current values
   * and a field set to `null` goes back to its default (`concurrency: null`
   * lifts the limit; `models: null`, `[]` or `{}` serves any model again).
   */
  async putAccount(id: string, input: unknown): Promise<Account> {
    const patch = Fields.of(withoutEmptyModels(input, null), "");
    if (patch.has("id") && patch.raw.id !== id) throw new ConfigError("id", "must match the URL");
    const current = this.#accounts.get(id)?.account;
    const merged: Record<string, unknown> = {
      ...(current ? editableForm(current) : {}),
      ...patch.raw,
      id,
    };
    for (const [name, value] of Object.entries(merged)) if (value === null) delete merged[name];
    const account = readAccount(Fields.of(merged, ""));
    await this.#storeAccount(account, await this.#get("account", id));
    return account;
  }

  /** Removes an account; 409 while a group lists it. */
  async deleteAccount(id: string): Promise<void> {
    if (!this.#accounts.has(id)) throw new DirectoryNotFound(`unknown account "${id}"`);
    const user = [...this.#groups.values()].find((group) => group.accounts.includes(id));
    if (user) throw new DirectoryConflict(`account "${id}" is used by group "${user.id}"`);
    await this.#remove("account", id, this.config.accounts.some((account) => account.id === id));
  }

  async #storeAccount(account: Account, entry: Deno.KvEntryMaybe<unknown>): Promise<void> {
    if (!this.box) {
      throw new SecretUnavailable(
        "SWITCHYARD_SECRET is not set, so account secrets cannot be stored",
      );
    }
    const sealed = await this.box.seal(JSON.stringify(account), account.id);
    await this.#write(
      "account",
      account.id,
      entry,
      {
        id: account.id,
        sealed,
        updatedAt: Date.now(),
      } satisfies StoredAccount,
    );
  }

  // ---- groups ----

  /** Adds a group; 409 when the id exists. */
  async createGroup(input: unknown): Promise<GroupInfo> {
    const group = readGroup(Fields.of(input, ""), new Set(this.#accounts.keys()));
    const entry = await this.#get<StoredGroup | Tombstone>("group", group.id);
    if (this.#groups.has(group.id) || isLive(entry.value)) {
      throw new DirectoryConflict(`group "${group.id}" already exists`);
    }
    await this.#write("group", group.id, entry, { ...group, updatedAt: Date.now() });
    return { ...group, source: "api" };
  }

  /** Creates or replaces a group. */
  async putGroup(id: string, input: unknown): Promise<GroupInfo> {
    const patch = Fields.of(input, "");
    if (patch.has("id") && patch.raw.id !== id) throw new ConfigError("id", "must match the URL");
    const group = readGroup(Fields.of({ ...patch.raw, id }, ""), new Set(this.#accounts.keys()));
    await this.#write("group", id, await this.#get("group", id), {
      ...group,
      updatedAt: Date.now(),
    });
    return { ...group, source: "api" };
  }

  /** Removes a group; 409 while a key uses it. */
  async deleteGroup(id: string): Promise<void> {
    if (!this.#groups.has(id)) throw new DirectoryNotFound(`unknown group "${id}"`);
    const user = [...this.#keys.values()].find((key) => key.group === id);
    if (user) throw new DirectoryConflict(`group "${id}" is used by key "${user.id}"`);
    await this.#remove("group", id, this.config.groups.some((group) => group.id === id));
  }

  // ---- storage ----

  #get<T>(kind: Kind, id: string): Promise<Deno.KvEntryMaybe<T>> {
    return withLockRetry(() => this.kv.get<T>(directoryKey(kind, id)));
  }

  async #write(
    kind: Kind,
    id: string,
    expected: Deno.KvEntryMaybe<unknown>,
    value: unknown,
  ): Promise<void> {
    const result = await withLockRetry(() =>
      this.kv.atomic().check(expected).set(directoryKey(kind, id), value)
        .set(DIRECTORY_GENERATION_KEY, crypto.randomUUID()).commit()
    );
    if (!result.ok) throw new DirectoryConflict(`${kind} "${id}" was changed concurrently; retry`);
    await this.reload();
  }

  /** Deletes an API entry, or writes a tombstone over a config entry. */
  async #remove(kind: Kind, id: string, seeded: boolean): Promise<void> {
    const key = directoryKey(kind, id);
    await withLockRetry(() => {
      const op = this.kv.atomic();
      if (seeded) op.set(key, { deleted: true, at: Date.now() } satisfies Tombstone);
      else op.delete(key);
      return op.set(DIRECTORY_GENERATION_KEY, crypto.randomUUID()).commit();
    });
    await this.reload();
  }

  async #load(): Promise<void> {
    const stored: Record<Kind, Map<string, Deno.KvEntry<unknown>>> = {
      key: new Map(),
      account: new Map(),
      group: new Map(),
    };
    await withLockRetry(async () => {
      for (const map of Object.values(stored)) map.clear();
      for await (const entry of this.kv.list<unknown>({ prefix: DIRECTORY_PREFIX })) {
        const [, , kind, id] = entry.key as [string, string, Kind, string];
        stored[kind]?.set(id, entry);
      }
    });

    // Accounts: config seed, then KV entries win.
    const accounts = new Map<string, AccountEntry>();
    for (const account of this.config.accounts) {
      accounts.set(account.id, { account, source: "config" });
    }
    // (Map.set keeps a replaced config entry in its place.)
    for (const [id, entry] of stored.account) {
      const account = isLive(entry.value)
        ? await this.#openAccount(id, entry as Deno.KvEntry<StoredAccount>)
        : undefined;
      if (account) accounts.set(id, { account, source: "api" });
      else accounts.delete(id);
    }

    // Groups: members that no longer exist are skipped.
    const groups = new Map<string, GroupInfo>();
    for (const group of this.config.groups) groups.set(group.id, { ...group, source: "config" });
    for (const [id, entry] of stored.group) {
      const value = entry.value as StoredGroup | Tombstone;
      if (isLive(value)) {
        const { updatedAt: _updatedAt, ...group } = value;
        groups.set(id, { ...group, id, source: "api" });
      } else groups.delete(id);
    }

    const keys = new Map<string, KeyInfo>();
    const keysByDigest = new Map<string, KeyInfo>();
    for (const { digest, ...key } of this.configKeys.values()) {
      keys.set(key.id, key);
      keysByDigest.set(digest, key);
    }
    for (const [id, entry] of stored.key) {
      const old = keys.get(id);
      if (old) {
        for (const [digest, key] of keysByDigest) if (key === old) keysByDigest.delete(digest);
      }
      const value = entry.value as StoredKey | Tombstone;
      if (!isLive(value)) {
        keys.delete(id);
        continue;
      }
      const key = toKeyInfo(value);
      keys.set(id, key);
      keysByDigest.set(value.digest, key);
    }

    const candidates = new Map<string, Record<Platform, Account[]>>();
    for (const group of groups.values()) {
      const split: Record<Platform, Account[]> = { openai: [], anthropic: [] };
      for (const id of group.accounts) {
        const account = accounts.get(id)?.account;
        if (account) split[account.platform].push(account);
      }
      candidates.set(group.id, split);
    }

    this.#accounts = accounts;
    this.#groups = groups;
    this.#keys = keys;
    this.#keysByDigest = keysByDigest;
    this.#candidates = candidates;
  }

  async #openAccount(id: string, entry: Deno.KvEntry<StoredAccount>): Promise<Account | undefined> {
    const cached = this.#opened.get(id);
    if (cached?.versionstamp === entry.versionstamp) return cached.account;
    if (!this.box) {
      reportOnce(`account "${id}" is stored encrypted but SWITCHYARD_SECRET is not set`);
      return undefined;
    }
    try {
      const account = JSON.parse(await this.box.open(entry.value.sealed, id)) as Account;
      this.#opened.set(id, { versionstamp: entry.versionstamp, account });
      return account;
    } catch {
      reportOnce(
        `account "${id}" cannot be decrypted: SWITCHYARD_SECRET differs from the one it was stored with`,
      );
      return undefined;
    }
  }
}

/**
 * An account as config input again, for a partial update: a subscription
 * account's `apiKey` (a copy of its access token) and its empty token fields
 * are left out, or they would read as "apiKey and oauth" and as empty tokens.
 */
function editableForm(account: Account): Record<string, unknown> {
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
function withoutEmptyModels(input: unknown, cleared: null | undefined): unknown {
  if (input === null || typeof input !== "object" || !("models" in input)) return input;
  const models = input.models;
  const empty = models === null || (typeof models === "object" && Object.keys(models).length === 0);
  return empty ? { ...input, models: cleared } : input;
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

function toKeyInfo(record: StoredKey): KeyInfo {
  const { digest: _digest, createdAt, ...rest } = record;
  return { ...rest, source: "api", createdAt: new Date(createdAt).toISOString() };
}

function isLive<T>(value: T | Tombstone | null): value is T {
  return value !== null && !(typeof value === "object" && (value as Tombstone).deleted === true);
}

const reported = new Set<string>();
function reportOnce(message: string): void {
  if (reported.has(message)) return;
  reported.add(message);
  logError(message);
}
