/**
 * Quota-aware scheduling over real sockets, with mock Codex accounts whose
 * `x-codex-*` headers report their usage: `avoidAbovePercent` on a group and
 * on an account (set through the management API, in force at once), a spent
 * window (100 % used) shown as such and planned only when no other account
 * can serve, and a group's `"order": "resets-first"`.
 */

import assert from "node:assert/strict";
import {
  chatRequest,
  CLIENT_KEY,
  SECRET,
  startGateway,
  type TestGateway,
} from "./support/gateway.ts";
import { codexAccount, codexAnswering } from "./support/protocol_mocks.ts";
import { type MockHit, upstream } from "./support/upstream.ts";

/** What one mock Codex account reports about its 5-hour window. */
interface Usage {
  usedPercent: number;
  resetAfterSeconds?: number;
  status?: number;
}

/** A mock Codex account answering as `id`, with its usage in `x-codex-primary-*` headers. */
function codexMock(id: string, usage: Record<string, Usage>) {
  const answer = codexAnswering(`from ${id}`);
  return upstream((request: Request, hit: MockHit) => {
    const { usedPercent, resetAfterSeconds, status } = usage[id];
    const response = status
      ? Response.json({ error: { message: "boom", type: "server_error" } }, { status })
      : answer(request, hit);
    response.headers.set("x-codex-primary-used-percent", String(usedPercent));
    if (resetAfterSeconds !== undefined) {
      response.headers.set("x-codex-primary-reset-after-seconds", String(resetAfterSeconds));
    }
    return response;
  });
}

/** A gateway whose one group `team` holds `accounts`, for the key {@linkcode CLIENT_KEY}. */
function codexGateway(accounts: Record<string, unknown>[]): Promise<TestGateway> {
  return startGateway({
    secret: SECRET,
    config: {
      accounts,
      groups: [{ id: "team", accounts: accounts.map((account) => account.id) }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
    },
  });
}

async function servedBy(gw: TestGateway): Promise<string | null> {
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 200, await response.clone().text());
  await response.body?.cancel();
  return response.headers.get("x-switchyard-account");
}

async function put(gw: TestGateway, path: string, body: unknown): Promise<void> {
  const response = await gw.admin(path, { method: "PUT", json: body });
  assert.equal(response.status, 200, await response.clone().text());
  await response.body?.cancel();
}

Deno.test("avoidAbovePercent on the group and on the account, set through the management API", async () => {
  const usage: Record<string, Usage> = {
    a: { usedPercent: 90, resetAfterSeconds: 3600 },
    b: { usedPercent: 20, resetAfterSeconds: 3600 },
  };
  await using a = codexMock("a", usage);
  await using b = codexMock("b", usage);
  await using gw = await codexGateway([
    codexAccount("a", a.url, { priority: 1 }),
    codexAccount("b", b.url, { priority: 2 }),
  ]);

  assert.equal(await servedBy(gw), "a");
  assert.equal(await servedBy(gw), "a", "no threshold: priority decides, 90 % or not");
  await put(gw, "/admin/groups/team", { accounts: ["a", "b"], avoidAbovePercent: 80 });
  assert.equal(
    await servedBy(gw),
    "b",
    "the group's threshold, set through the API, holds at once",
  );
  const group = await (await gw.admin("/admin/groups/team")).json();
  assert.equal(group.avoidAbovePercent, 80);

  await put(gw, "/admin/accounts/a", { avoidAbovePercent: 95 });
  assert.equal(await servedBy(gw), "a", "the account's own threshold wins over the group's");
  const row = (await (await gw.admin("/admin/accounts/a")).json()) as Record<string, unknown>;
  assert.equal(row.avoidAbovePercent, 95);

  usage.a.usedPercent = 97;
  assert.equal(await servedBy(gw), "a", "the last answer still said 90 %");
  assert.equal(await servedBy(gw), "b", "now it said 97 %");
});

Deno.test("a spent window shows as spent and is planned only when no other account can serve", async () => {
  const usage: Record<string, Usage> = {
    a: { usedPercent: 100, resetAfterSeconds: 3600 },
    b: { usedPercent: 10, resetAfterSeconds: 3600 },
  };
  await using a = codexMock("a", usage);
  await using b = codexMock("b", usage);
  await using gw = await codexGateway([
    codexAccount("a", a.url, { priority: 1 }),
    codexAccount("b", b.url, { priority: 2 }),
  ]);

  const before = Date.now();
  assert.equal(await servedBy(gw), "a", "its answer says the window is now used up");
  assert.equal(await servedBy(gw), "b", "no threshold needed: a spent window is not planned first");
  assert.equal(await servedBy(gw), "b");
  const row = (await (await gw.admin("/admin/accounts/a")).json()) as Record<string, unknown>;
  assert.equal(row.state, "active", "not cooling: nothing failed");
  assert.equal(row.spent, true);
  const until = Date.parse(String(row.spentUntil));
  assert.ok(until >= before + 3_590_000 && until <= Date.now() + 3_600_000, String(row.spentUntil));
  const other = (await (await gw.admin("/admin/accounts/b")).json()) as Record<string, unknown>;
  assert.equal(other.spent, undefined);

  // b fails: the spent account is still tried, last, as the only one left.
  usage.b.status = 500;
  assert.equal(await servedBy(gw), "a");
  assert.deepEqual(gw.log.at(-1)!.attempts.map((attempt) => attempt.account), ["b", "a"]);
});

Deno.test("order resets-first prefers, among equal priority, the window that resets soonest", async () => {
  const usage: Record<string, Usage> = {
    a: { usedPercent: 30, resetAfterSeconds: 4 * 3600 },
    b: { usedPercent: 60, resetAfterSeconds: 3600 },
    c: { usedPercent: 5 },
  };
  await using a = codexMock("a", usage);
  await using b = codexMock("b", usage);
  await using c = codexMock("c", usage);
  await using gw = await codexGateway(
    ["a", "b", "c"].map((id, i) => codexAccount(id, [a, b, c][i].url)),
  );

  const round = async () => [await servedBy(gw), await servedBy(gw), await servedBy(gw)];
  assert.deepEqual(await round(), ["a", "b", "c"], "least recently used first (the default)");
  assert.deepEqual(await round(), ["a", "b", "c"]);
  await put(gw, "/admin/groups/team", { accounts: ["a", "b", "c"], order: "resets-first" });
  assert.deepEqual(await round(), ["b", "b", "b"], "b's window resets soonest");
  usage.b.usedPercent = 100;
  assert.deepEqual(
    await round(),
    ["b", "a", "a"],
    "spent b goes last; then a (known reset) before c",
  );
  const bad = await gw.admin("/admin/groups/team", {
    method: "PUT",
    json: { accounts: ["a"], order: "random" },
  });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /order.*resets-first/);
});
