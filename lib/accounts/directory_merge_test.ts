/** The directory's merge of the config seed and KV, table by table. */

import assert from "node:assert/strict";
import type { Account, Group } from "../config/types.ts";
import type { SeedKey, StoredGroup, StoredKey, Tombstone } from "./directory_entries.ts";
import { mergeView } from "./directory_merge.ts";
import type { StoredEntries } from "./directory_store.ts";

const account = (id: string, platform: Account["platform"] = "openai"): Account =>
  ({ id, platform, baseUrl: `https://${id}.test/v1`, apiKey: `sk-${id}` }) as Account;
const group = (id: string, accounts: string[]): Group => ({ id, accounts }) as Group;
const gone: Tombstone = { deleted: true, at: 1 };
const seedKey = (id: string, groupId: string, digest: string): SeedKey => ({
  id,
  group: groupId,
  source: "config",
  digest,
});
const storedKey = (id: string, groupId: string, digest: string): StoredKey => ({
  id,
  group: groupId,
  digest,
  createdAt: 0,
});
const stored = (parts: Partial<StoredEntries>): StoredEntries => ({
  keys: new Map(),
  accounts: new Map(),
  groups: new Map(),
  ...parts,
});

Deno.test("accounts: KV wins in the config entry's place, a tombstone or unreadable entry removes", () => {
  const config = { accounts: [account("a"), account("b"), account("c")], groups: [] };
  const view = mergeView(
    config,
    new Map(),
    stored({
      accounts: new Map<string, Account | undefined>([
        ["b", { ...account("b"), baseUrl: "https://new.test/v1" }],
        ["c", undefined],
        ["d", account("d", "anthropic")],
      ]),
    }),
  );
  assert.deepEqual([...view.accounts.keys()], ["a", "b", "d"]);
  assert.equal(view.accounts.get("a")?.source, "config");
  assert.equal(view.accounts.get("b")?.source, "api");
  assert.equal(view.accounts.get("b")?.account.baseUrl, "https://new.test/v1");
});

Deno.test("groups: KV replaces or tombstones, candidates split by platform and skip the missing", () => {
  const config = {
    accounts: [account("a"), account("x", "anthropic")],
    groups: [group("team", ["a"]), group("old", ["a"])],
  };
  const groups = new Map<string, StoredGroup | Tombstone>([
    ["team", { ...group("team", ["x", "missing", "a"]), updatedAt: 5 }],
    ["old", gone],
  ]);
  const view = mergeView(config, new Map(), stored({ groups }));
  assert.deepEqual([...view.groups.keys()], ["team"]);
  assert.deepEqual(view.groups.get("team"), {
    id: "team",
    accounts: ["x", "missing", "a"],
    source: "api",
  });
  assert.deepEqual(view.candidates.get("team")?.openai.map((a) => a.id), ["a"]);
  assert.deepEqual(view.candidates.get("team")?.anthropic.map((a) => a.id), ["x"]);
});

Deno.test("keys: a KV entry replaces the config key's digest; a tombstone revokes it", () => {
  const seed = new Map([
    ["k1", seedKey("k1", "team", "d1")],
    ["k2", seedKey("k2", "team", "d2")],
    ["k3", seedKey("k3", "team", "d3")],
  ]);
  const keys = new Map<string, StoredKey | Tombstone>([
    ["k1", storedKey("k1", "other", "d1")],
    ["k2", gone],
    ["k4", storedKey("k4", "team", "d4")],
  ]);
  const view = mergeView({ accounts: [], groups: [] }, seed, stored({ keys }));
  assert.deepEqual([...view.keys.keys()], ["k1", "k3", "k4"]);
  assert.deepEqual([...view.keysByDigest.keys()].sort(), ["d1", "d3", "d4"]);
  assert.equal(view.keysByDigest.get("d1")?.group, "other");
  assert.equal(view.keysByDigest.get("d1")?.source, "api");
  assert.equal(view.keysByDigest.get("d3")?.source, "config");
  assert.equal("digest" in view.keys.get("k3")!, false);
});
