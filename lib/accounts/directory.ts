/**
 * The directory: the client keys, accounts and groups the gateway serves,
 * merged from two sources. Config-file entries are the seed; entries written
 * through the management API live in Deno KV and win (a KV tombstone removes
 * a config entry). Every process builds the same merged view
 * (`directory_merge.ts`); the KV layout and the sealing of accounts are in
 * `directory_store.ts`, the entry shapes and input rules in
 * `directory_entries.ts`.
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
import type { Account, Config, Platform } from "../config/types.ts";
import { readAccount, readGroup, readId } from "../config/validate.ts";
import type { SecretBox } from "../crypto/secret_box.ts";
import {
  type AccountEntry,
  DirectoryConflict,
  DirectoryNotFound,
  editableForm,
  type GroupInfo,
  isLive,
  KEY_FIELDS,
  type KeyInfo,
  type Kind,
  patched,
  publicView,
  readKeyLimits,
  type SeedKey,
  seedKeys,
  type StoredGroup,
  type StoredKey,
  toKeyInfo,
  type Tombstone,
  withoutEmptyModels,
} from "./directory_entries.ts";
import { type DirectoryView, mergeView } from "./directory_merge.ts";
import { DirectoryStore } from "./directory_store.ts";

export {
  type AccountEntry,
  DirectoryConflict,
  DirectoryNotFound,
  type GroupInfo,
  type KeyInfo,
  readKeyLimits,
  SecretUnavailable,
  type Source,
} from "./directory_entries.ts";

/** How many presented client keys keep their digest in memory (see {@linkcode DigestLookup}). */
const PRESENTED_KEYS_REMEMBERED = 1_000;

/** The merged directory of keys, accounts and groups. */
export class Directory {
  readonly #presented = new DigestLookup(PRESENTED_KEYS_REMEMBERED);
  /** Set by the first reload, which {@linkcode Directory.open} awaits. */
  #view!: DirectoryView;
  #reloading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: DirectoryStore,
    private readonly config: Config,
    private readonly configKeys: ReadonlyMap<string, SeedKey>,
  ) {}

  /** Builds the directory from the config seed and whatever KV holds. */
  static async open(options: { kv: Deno.Kv; config: Config; box?: SecretBox }): Promise<Directory> {
    const store = new DirectoryStore(options.kv, options.box);
    const directory = new Directory(store, options.config, seedKeys(options.config));
    await directory.reload();
    return directory;
  }

  /** Re-reads KV and rebuilds the merged view. Reloads run one at a time, in order. */
  reload(): Promise<void> {
    const next = this.#reloading.then(async () => {
      this.#view = mergeView(this.config, this.configKeys, await this.store.readAll());
    });
    this.#reloading = next.catch(() => {});
    return next;
  }

  /** The key record for a presented secret, or `null`. */
  findKey(secret: string | null): KeyInfo | null {
    if (!secret) return null;
    return this.#presented.lookup(secret, (digest) => this.#view.keysByDigest.get(digest)) ?? null;
  }

  /** A group's accounts that serve `platform`, in group order. */
  candidates(groupId: string, platform: Platform): readonly Account[] {
    return this.#view.candidates.get(groupId)?.[platform] ?? [];
  }

  /** Every account, config entries first. */
  accounts(): Account[] {
    return [...this.#view.accounts.values()].map((entry) => entry.account);
  }

  account(id: string): AccountEntry | undefined {
    return this.#view.accounts.get(id);
  }

  keys(): KeyInfo[] {
    return [...this.#view.keys.values()];
  }

  /** One key by id. */
  key(id: string): KeyInfo | undefined {
    return this.#view.keys.get(id);
  }

  groups(): GroupInfo[] {
    return [...this.#view.groups.values()];
  }

  group(id: string): GroupInfo | undefined {
    return this.#view.groups.get(id);
  }

  /** An account without its credentials, with its source. */
  publicAccount(id: string): Record<string, unknown> | undefined {
    const entry = this.#view.accounts.get(id);
    return entry ? publicView(entry) : undefined;
  }

  // ---- keys ----

  /** Creates a key; the secret is returned here and never again. */
  async createKey(input: unknown): Promise<{ key: KeyInfo; secret: string }> {
    const fields = Fields.of(input, "");
    fields.onlyKnown(KEY_FIELDS);
    const id = readId(fields);
    const group = this.#knownGroup(fields);
    const limits = readKeyLimits(fields);
    const entry = await this.store.get<StoredKey | Tombstone>("key", id);
    if (this.#view.keys.has(id) || isLive(entry.value)) {
      throw new DirectoryConflict(`key "${id}" already exists`);
    }
    const secret = randomToken("sy-");
    const record: StoredKey = {
      id,
      group,
      digest: sha256Hex(secret),
      ...limits,
      createdAt: Date.now(),
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
    const current = this.#view.keys.get(id);
    if (!current) throw new DirectoryNotFound(`unknown key "${id}"`);
    const patch = Fields.of(input, "");
    patch.onlyKnown(KEY_FIELDS);
    matchesUrl(patch, id);
    const { source: _source, createdAt: _createdAt, ...kept } = current;
    const fields = Fields.of(patched(kept, patch.raw), "");
    const group = this.#knownGroup(fields);
    const limits = readKeyLimits(fields);
    const entry = await this.store.get<StoredKey | Tombstone>("key", id);
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
    if (!this.#view.keys.has(id)) throw new DirectoryNotFound(`unknown key "${id}"`);
    await this.#remove("key", id, this.configKeys.has(id));
  }

  // ---- accounts ----

  /** Adds an account; 409 when the id exists. */
  async createAccount(input: unknown): Promise<Account> {
    const account = readAccount(Fields.of(withoutEmptyModels(input, undefined), ""));
    const entry = await this.store.get("account", account.id);
    if (this.#view.accounts.has(account.id) || isLive(entry.value)) {
      throw new DirectoryConflict(`account "${account.id}" already exists`);
    }
    await this.#write("account", account.id, entry, await this.store.seal(account));
    return account;
  }

  /**
   * Creates or updates an account; fields left out keep their current values
   * and a field set to `null` goes back to its default (`concurrency: null`
   * lifts the limit; `models: null`, `[]` or `{}` serves any model again).
   */
  async putAccount(id: string, input: unknown): Promise<Account> {
    const patch = Fields.of(withoutEmptyModels(input, null), "");
    matchesUrl(patch, id);
    const current = this.#view.accounts.get(id)?.account;
    const merged = patched(current ? editableForm(current) : {}, { ...patch.raw, id });
    const account = readAccount(Fields.of(merged, ""));
    const sealed = await this.store.seal(account);
    await this.#write("account", id, await this.store.get("account", id), sealed);
    return account;
  }

  /** Removes an account; 409 while a group lists it. */
  async deleteAccount(id: string): Promise<void> {
    if (!this.#view.accounts.has(id)) throw new DirectoryNotFound(`unknown account "${id}"`);
    const user = [...this.#view.groups.values()].find((group) => group.accounts.includes(id));
    if (user) throw new DirectoryConflict(`account "${id}" is used by group "${user.id}"`);
    await this.#remove("account", id, this.config.accounts.some((account) => account.id === id));
  }

  // ---- groups ----

  /** Adds a group; 409 when the id exists. */
  async createGroup(input: unknown): Promise<GroupInfo> {
    const group = readGroup(Fields.of(input, ""), this.#accountIds());
    const entry = await this.store.get<StoredGroup | Tombstone>("group", group.id);
    if (this.#view.groups.has(group.id) || isLive(entry.value)) {
      throw new DirectoryConflict(`group "${group.id}" already exists`);
    }
    await this.#write("group", group.id, entry, { ...group, updatedAt: Date.now() });
    return { ...group, source: "api" };
  }

  /** Creates or replaces a group. */
  async putGroup(id: string, input: unknown): Promise<GroupInfo> {
    const patch = Fields.of(input, "");
    matchesUrl(patch, id);
    const group = readGroup(Fields.of({ ...patch.raw, id }, ""), this.#accountIds());
    await this.#write("group", id, await this.store.get("group", id), {
      ...group,
      updatedAt: Date.now(),
    });
    return { ...group, source: "api" };
  }

  /** Removes a group; 409 while a key uses it. */
  async deleteGroup(id: string): Promise<void> {
    if (!this.#view.groups.has(id)) throw new DirectoryNotFound(`unknown group "${id}"`);
    const user = [...this.#view.keys.values()].find((key) => key.group === id);
    if (user) throw new DirectoryConflict(`group "${id}" is used by key "${user.id}"`);
    await this.#remove("group", id, this.config.groups.some((group) => group.id === id));
  }

  // ---- writes: each one reloads this process's view at once ----

  #accountIds(): Set<string> {
    return new Set(this.#view.accounts.keys());
  }

  /** The `group` field, which must name a group of the directory. */
  #knownGroup(fields: Fields): string {
    const group = fields.string("group");
    if (!this.#view.groups.has(group)) throw new ConfigError("group", `unknown group "${group}"`);
    return group;
  }

  async #write(kind: Kind, id: string, expected: Deno.KvEntryMaybe<unknown>, value: unknown) {
    await this.store.write(kind, id, expected, value);
    await this.reload();
  }

  async #remove(kind: Kind, id: string, seeded: boolean): Promise<void> {
    await this.store.remove(kind, id, seeded);
    await this.reload();
  }
}

/** A body's `id`, when it has one, must be the id in the URL. */
function matchesUrl(patch: Fields, id: string): void {
  if (patch.has("id") && patch.raw.id !== id) throw new ConfigError("id", "must match the URL");
}
