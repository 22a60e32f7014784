/**
 * The directory's KV side: reading, writing and tombstoning its entries, and
 * sealing and opening the API-written accounts.
 *
 * KV layout, under `["switchyard", "dir", kind, id]` with kind `key`,
 * `account` or `group`; a deleted config entry is `{ deleted: true }`:
 * - key: `{ id, group, digest, rpm?, dailyTokens?, concurrency?, budgets?, createdAt }`;
 *   only the SHA-256 digest of the secret is stored.
 * - account: `{ id, sealed, updatedAt }`; the whole account (with its
 *   credential) is sealed with AES-GCM under `SWITCHYARD_SECRET`.
 * - group: `{ id, accounts, avoidAbovePercent?, order?, allowPaths?, updatedAt }`.
 *
 * Each change also writes `["switchyard", "dir-generation"]`, which every
 * process watches to reload (`directory.ts`).
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import type { SecretBox } from "../crypto/secret_box.ts";
import { DIRECTORY_GENERATION_KEY, DIRECTORY_PREFIX, directoryKey } from "../kv/keys.ts";
import { withLockRetry } from "../kv/retry.ts";
import { logError } from "../log.ts";
import {
  DirectoryConflict,
  isLive,
  type Kind,
  SecretUnavailable,
  type StoredAccount,
  type StoredGroup,
  type StoredKey,
  type Tombstone,
} from "./directory_entries.ts";

/**
 * Everything KV holds for the directory, accounts already opened: an
 * account is `undefined` when it is tombstoned or cannot be opened.
 */
export interface StoredEntries {
  keys: Map<string, StoredKey | Tombstone>;
  accounts: Map<string, Account | undefined>;
  groups: Map<string, StoredGroup | Tombstone>;
}

/** The directory's entries in one KV store. */
export class DirectoryStore {
  /** Opened API accounts by id, with the versionstamp they were opened at. */
  readonly #opened = new Map<string, { versionstamp: string; account: Account }>();

  constructor(private readonly kv: Deno.Kv, private readonly box: SecretBox | undefined) {}

  /** One entry with its versionstamp, for a checked write. */
  get<T>(kind: Kind, id: string): Promise<Deno.KvEntryMaybe<T>> {
    return withLockRetry(() => this.kv.get<T>(directoryKey(kind, id)));
  }

  /** Writes an entry if it is still as read; a concurrent change is a conflict. */
  async write(
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
  }

  /** Deletes an API entry, or writes a tombstone over a config entry. */
  async remove(kind: Kind, id: string, seeded: boolean): Promise<void> {
    const key = directoryKey(kind, id);
    await withLockRetry(() => {
      const op = this.kv.atomic();
      if (seeded) op.set(key, { deleted: true, at: Date.now() } satisfies Tombstone);
      else op.delete(key);
      return op.set(DIRECTORY_GENERATION_KEY, crypto.randomUUID()).commit();
    });
  }

  /** An account sealed for storage; throws when no `SWITCHYARD_SECRET` is set. */
  async seal(account: Account): Promise<StoredAccount> {
    if (!this.box) {
      throw new SecretUnavailable(
        "SWITCHYARD_SECRET is not set, so account secrets cannot be stored",
      );
    }
    const sealed = await this.box.seal(JSON.stringify(account), account.id);
    return { id: account.id, sealed, updatedAt: Date.now() };
  }

  /** Every stored entry, read in one listing. */
  async readAll(): Promise<StoredEntries> {
    const listed: Record<Kind, Map<string, Deno.KvEntry<unknown>>> = {
      key: new Map(),
      account: new Map(),
      group: new Map(),
    };
    await withLockRetry(async () => {
      for (const map of Object.values(listed)) map.clear();
      for await (const entry of this.kv.list<unknown>({ prefix: DIRECTORY_PREFIX })) {
        const [, , kind, id] = entry.key as [string, string, Kind, string];
        listed[kind]?.set(id, entry);
      }
    });
    const accounts = new Map<string, Account | undefined>();
    for (const [id, entry] of listed.account) {
      accounts.set(
        id,
        isLive(entry.value)
          ? await this.#open(id, entry as Deno.KvEntry<StoredAccount>)
          : undefined,
      );
    }
    const values = <T>(map: Map<string, Deno.KvEntry<unknown>>) =>
      new Map([...map].map(([id, entry]) => [id, entry.value as T | Tombstone]));
    return {
      keys: values<StoredKey>(listed.key),
      accounts,
      groups: values<StoredGroup>(listed.group),
    };
  }

  async #open(id: string, entry: Deno.KvEntry<StoredAccount>): Promise<Account | undefined> {
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

const reported = new Set<string>();
function reportOnce(message: string): void {
  if (reported.has(message)) return;
  reported.add(message);
  logError(message);
}
