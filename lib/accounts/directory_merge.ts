/**
 * How the directory's two sources merge into the one view every process
 * builds: config-file entries are the seed, KV entries win (keeping a
 * replaced config entry in its place), a tombstone removes a config entry,
 * and a group's members that no longer exist are skipped. Pure: table-tested
 * in `directory_merge_test.ts`.
 *
 * @module
 */

import type { Account, Config, Platform } from "../config/types.ts";
import {
  type AccountEntry,
  type GroupInfo,
  isLive,
  type KeyInfo,
  type SeedKey,
  toKeyInfo,
} from "./directory_entries.ts";
import type { StoredEntries } from "./directory_store.ts";

/** The merged directory, with the lookups the request path needs ready-made. */
export interface DirectoryView {
  accounts: Map<string, AccountEntry>;
  groups: Map<string, GroupInfo>;
  keys: Map<string, KeyInfo>;
  keysByDigest: Map<string, KeyInfo>;
  /** A group's accounts split by platform, in group order. */
  candidates: Map<string, Record<Platform, Account[]>>;
}

/** The config seed with what KV holds laid over it. */
export function mergeView(
  config: Pick<Config, "accounts" | "groups">,
  seed: ReadonlyMap<string, SeedKey>,
  stored: StoredEntries,
): DirectoryView {
  const accounts = new Map<string, AccountEntry>();
  for (const account of config.accounts) accounts.set(account.id, { account, source: "config" });
  // (Map.set keeps a replaced config entry in its place.)
  for (const [id, account] of stored.accounts) {
    if (account) accounts.set(id, { account, source: "api" });
    else accounts.delete(id);
  }

  const groups = new Map<string, GroupInfo>();
  for (const group of config.groups) groups.set(group.id, { ...group, source: "config" });
  for (const [id, value] of stored.groups) {
    if (isLive(value)) {
      const { updatedAt: _updatedAt, ...group } = value;
      groups.set(id, { ...group, id, source: "api" });
    } else groups.delete(id);
  }

  const keys = new Map<string, KeyInfo>();
  const keysByDigest = new Map<string, KeyInfo>();
  for (const { digest, ...key } of seed.values()) {
    keys.set(key.id, key);
    keysByDigest.set(digest, key);
  }
  for (const [id, value] of stored.keys) {
    const old = keys.get(id);
    if (old) {
      for (const [digest, key] of keysByDigest) if (key === old) keysByDigest.delete(digest);
    }
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
  return { accounts, groups, keys, keysByDigest, candidates };
}
