/**
 * The KV Connect test server (`deno task kv-server`) against Deno's own,
 * unmodified KV client: the same operations give the same results through it
 * as on a local KV file, the file it keeps reads back the same entries, racing
 * checked commits stay exact, watches stream changes, and the fault switches
 * (latency, 503s, outages, dropped connections, an expired token) do what the
 * README says.
 *
 * @module
 */

import assert from "node:assert/strict";
import { eventually, within } from "./support/async.ts";
import { type KvServer, startKvServer } from "./support/kv_server.ts";
import { DatabaseSync } from "node:sqlite";
import { encodeKey } from "../scripts/kv_server/key_codec.ts";
import { ProtoWriter, readFields } from "../scripts/kv_server/protobuf.ts";
import { TEST_KV_TOKEN } from "./support/shared_kv.ts";

// `DENO_KV_ACCESS_TOKEN` is process-wide and `deno test --parallel` runs other
// test files in this same process: every server takes the one token they all
// set, and nobody unsets it under another file's open.
const TOKEN = TEST_KV_TOKEN;
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });

/** A temp dir with a server on a KV file in it, and a remote client open on it. */
async function setUp(
  options: {
    latencyMs?: number;
    failRate?: number;
    tokenTtlMs?: number;
    pingMs?: number;
  } = {},
): Promise<{ dir: string; server: KvServer; remote: Deno.Kv; cleanUp(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "kv_connect_" });
  const server = await startKvServer({ path: `${dir}/remote.kv`, token: TOKEN, ...options });
  const remote = await openRemote(server.url);
  return {
    dir,
    server,
    remote,
    async cleanUp() {
      try {
        remote.close();
      } catch {
        // The test closed it already.
      }
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** `Deno.openKv(url)` with `DENO_KV_ACCESS_TOKEN` (the shared test token) as the client reads it at open. */
function openRemote(url: string): Promise<Deno.Kv> {
  Deno.env.set("DENO_KV_ACCESS_TOKEN", TOKEN);
  return Deno.openKv(url);
}

/** The expiry (ms since the epoch, -1 for none) a local KV file stores for a key. */
function expiryOf(path: string, key: Deno.KvKey): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db.prepare("select expiration_ms from kv where k = ?").get(encodeKey(key));
    assert.ok(row, `${Deno.inspect(key)} is in ${path}`);
    return Number(row.expiration_ms);
  } finally {
    db.close();
  }
}

/** An entry as comparable text (values such as Maps, Dates and KvU64s included); versionstamps apart. */
const show = (entry: Deno.KvEntryMaybe<unknown>) =>
  Deno.inspect({ key: entry.key, value: entry.value, exists: entry.versionstamp !== null }, {
    depth: 10,
    sorted: true,
  });

async function listed(
  kv: Deno.Kv,
  selector: Deno.KvListSelector,
  options: Deno.KvListOptions = {},
) {
  const out: string[] = [];
  for await (const entry of kv.list(selector, options)) out.push(show(entry));
  return out;
}

/** Pages through a list `limit` at a time with cursors, as a caller resuming later would. */
async function paged(kv: Deno.Kv, selector: Deno.KvListSelector, reverse: boolean) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const iter = kv.list(selector, { limit: 2, reverse, cursor });
    const page: string[] = [];
    for await (const entry of iter) page.push(show(entry));
    if (page.length === 0) break;
    pages.push(page);
    cursor = iter.cursor;
    if (cursor === "") break;
    if (pages.length > 20) throw new Error("cursor paging does not end");
  }
  return pages;
}

const KEYS: Deno.KvKey[] = [
  ["p", "a"],
  ["p", "b", 1n],
  ["p", "b", -3n],
  ["p", "b", 2n ** 70n],
  ["p", "b", -(2n ** 70n)],
  ["p", "c", 1.5],
  ["p", "c", -0.25],
  ["p", "c", Infinity],
  ["p", "d", true],
  ["p", "d", false],
  ["p", new Uint8Array([0, 1, 0xff])],
  ["p", "zero\0byte"],
  ["p", "ünï"],
  ["q"],
  ["q", "child"],
];
const VALUES: unknown[] = [
  "text",
  42,
  {
    nested: {
      date: new Date(1_700_000_000_000),
      map: new Map([["k", [1, 2]]]),
      set: new Set([1n]),
    },
  },
  new Uint8Array([1, 2, 3]),
  new Deno.KvU64(7n),
  null,
  [undefined, -0, NaN],
  /re/gi,
  true,
  12345678901234567890n,
];

/**
 * The scenario run on both a local file and the test server: everything it
 * returns must be equal. Versionstamps differ between two KVs, so it records
 * only their relations (the commit's matches the read's, later is greater).
 */
async function scenario(kv: Deno.Kv): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const commits: string[] = [];
  for (const [i, key] of KEYS.entries()) {
    const result = await kv.set(key, VALUES[i % VALUES.length]);
    commits.push(result.versionstamp);
  }
  out.increasing = commits.every((v, i) => i === 0 || v > commits[i - 1]);
  out.gets = await Promise.all(KEYS.map(async (key) => show(await kv.get(key))));
  out.getVersionstamps = (await Promise.all(KEYS.map((key) => kv.get(key))))
    .every((entry, i) => entry.versionstamp === commits[i]);
  out.getMany = (await kv.getMany([["q"], ["missing"], ["p", "a"]])).map(show);
  out.all = await listed(kv, { prefix: [] });
  out.prefix = await listed(kv, { prefix: ["p"] });
  out.prefixReverse = await listed(kv, { prefix: ["p"] }, { reverse: true });
  out.prefixLimit = await listed(kv, { prefix: ["p", "b"] }, { limit: 2 });
  out.prefixLimitReverse = await listed(kv, { prefix: ["p", "b"] }, { limit: 2, reverse: true });
  out.range = await listed(kv, { start: ["p", "b"], end: ["p", "d"] });
  out.rangeReverse = await listed(kv, { start: ["p", "a"], end: ["q", "child"] }, {
    reverse: true,
  });
  out.prefixStart = await listed(kv, { prefix: ["p"], start: ["p", "c"] });
  out.prefixEnd = await listed(kv, { prefix: ["p"], end: ["p", "c", 1.5] });
  out.subtreeOfKeyWithValue = await listed(kv, { prefix: ["q"] });
  out.pages = await paged(kv, { prefix: ["p"] }, false);
  out.pagesReverse = await paged(kv, { prefix: ["p"] }, true);
  out.pagesRange = await paged(kv, { start: ["p", "b"], end: ["q"] }, false);
  out.consistency = show(await kv.get(["q"], { consistency: "eventual" }));

  // Checked commits: a fresh check passes, a stale one fails, "absent" checks both ways.
  const q = await kv.get(["q"]);
  const first = await kv.atomic().check(q).set(["q"], "first").commit();
  const stale = await kv.atomic().check(q).set(["q"], "stale").commit();
  const absent = await kv.atomic().check({ key: ["new"], versionstamp: null }).set(["new"], 1)
    .commit();
  const notAbsent = await kv.atomic().check({ key: ["q"], versionstamp: null }).set(["q"], 2)
    .commit();
  out.checks = [first.ok, stale.ok, absent.ok, notAbsent.ok, show(await kv.get(["q"]))];
  out.checkedVersionstamp = first.ok && (await kv.get(["new"])).versionstamp! > first.versionstamp;

  // KvU64 mutations, a multi-key atomic, deletes.
  await kv.atomic().sum(["n"], 5n).sum(["n"], 6n).max(["hi"], 3n).max(["hi"], 9n).min(["lo"], 8n)
    .min(["lo"], 2n).set(["both"], "x").delete(["p", "a"]).commit();
  await kv.atomic().sum(["n"], 2n ** 64n - 1n).commit(); // wraps around
  out.u64 = (await kv.getMany([["n"], ["hi"], ["lo"], ["both"], ["p", "a"]])).map(show);
  out.sumOnString = await kv.atomic().sum(["both"], 1n).commit().then(() => "ok", () => "threw");
  await kv.delete(["p", "b", 1n]);
  out.afterDelete = await listed(kv, { prefix: ["p", "b"] });

  // expireIn: there at once, gone once it runs out.
  await kv.set(["ttl"], "short", { expireIn: 300 });
  await kv.set(["ttl-long"], "long", { expireIn: 3_600_000 });
  out.ttl = (await kv.getMany([["ttl"], ["ttl-long"]])).map(show);
  return out;
}

test("kv-server: Deno's client gets the same results through KV Connect as on a local file", async () => {
  const { dir, server, remote, cleanUp } = await setUp();
  try {
    const local = await Deno.openKv(`${dir}/local.kv`);
    const expected = await scenario(local);
    local.close();
    const actual = await scenario(remote);
    assert.deepEqual(actual, expected);
    assert.equal(expected.increasing, true);

    // What the server's file holds, read back by a local client once the server stops.
    const seen: Deno.KvEntry<unknown>[] = [];
    for await (const entry of remote.list({ prefix: [] })) seen.push(entry);
    remote.close();
    await server.stop();
    const file = await Deno.openKv(server.path);
    const reread: Deno.KvEntry<unknown>[] = [];
    for await (const entry of file.list({ prefix: [] })) reread.push(entry);
    file.close();
    assert.ok(seen.length > 10);
    assert.deepEqual(reread, seen, "the file has the same keys, values and versionstamps");

    // expireIn reached the file as the same expiry a local set leaves (the local KV deletes
    // expired keys lazily, so the stored expiry is what can be compared).
    for (const path of [`${dir}/local.kv`, server.path]) {
      const [short, long, none] = [["ttl"], ["ttl-long"], ["q"]].map((key) => expiryOf(path, key));
      assert.ok(Math.abs(long - short - (3_600_000 - 300)) < 1_000, `${path}: ${short} ${long}`);
      assert.equal(none, -1);
    }
  } finally {
    await cleanUp();
  }
});

test("kv-server: racing check-and-set increments from two clients end exact", async () => {
  const { server, remote, cleanUp } = await setUp();
  const other = await openRemote(server.url);
  try {
    const N = 30;
    let conflicts = 0;
    const increment = async (kv: Deno.Kv) => {
      for (;;) {
        const entry = await kv.get<number>(["count"]);
        const result = await kv.atomic().check(entry).set(["count"], (entry.value ?? 0) + 1)
          .commit();
        if (result.ok) return;
        conflicts++;
      }
    };
    const sums = (kv: Deno.Kv) => kv.atomic().sum(["sum"], 1n).commit();
    await Promise.all(
      Array.from(
        { length: N },
        (_, i) => [increment(i % 2 ? remote : other), sums(i % 2 ? other : remote)],
      ).flat(),
    );
    assert.equal((await remote.get(["count"])).value, N);
    assert.equal((await other.get<Deno.KvU64>(["sum"])).value?.value, BigInt(N));
    assert.ok(conflicts > 0, "the increments really raced (some checks failed)");
  } finally {
    other.close();
    await cleanUp();
  }
});

test("kv-server: watches stream each change, with the server's versionstamps", async () => {
  // Pings every 20 ms: a cut stream's pings must stop, not take the server down.
  const { server, remote, cleanUp } = await setUp({ pingMs: 20 });
  const writer = await openRemote(server.url);
  const reader = remote.watch([["w", 1], ["w", 2]]).getReader();
  try {
    const next = async (what: string) => {
      const { value, done } = await within(reader.read(), what);
      assert.equal(done, false);
      return value!;
    };
    const initial = await next("the first watch message");
    assert.deepEqual(initial.map((entry) => entry.versionstamp), [null, null]);
    const one = await writer.set(["w", 1], { n: 1 });
    let seen = await next("the change of w/1");
    assert.deepEqual(seen[0], { key: ["w", 1], value: { n: 1 }, versionstamp: one.versionstamp });
    assert.equal(seen[1].versionstamp, null);
    const two = await writer.atomic().set(["w", 2], "two").delete(["w", 1]).commit();
    assert.ok(two.ok);
    seen = await next("the atomic change of both");
    assert.deepEqual(seen, [
      { key: ["w", 1], value: null, versionstamp: null },
      { key: ["w", 2], value: "two", versionstamp: two.versionstamp },
    ]);

    // Through a dropped connection: the client reconnects and still sees the next change.
    await server.faults({ outage: "drop" });
    await server.faults({ outage: false });
    const three = await writer.set(["w", 1], 3);
    await eventually(async () => {
      const entries = await next("a message after the drop");
      return entries[0].versionstamp === three.versionstamp;
    }, "the watch to see a change after a dropped connection");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const four = await writer.set(["w", 2], 4);
    assert.equal((await next("a change well after the cut"))[1].versionstamp, four.versionstamp);
    assert.equal(server.process.stderr(), "", "the server logged no error");
  } finally {
    await reader.cancel();
    writer.close();
    await cleanUp();
  }
});

test("kv-server: --latency-ms delays every answer and --fail-rate 503s are retried by the client", async () => {
  const { server, remote, cleanUp } = await setUp({ latencyMs: 60, failRate: 0.5 });
  try {
    await remote.get(["warm"]);
    const started = performance.now();
    await remote.get(["x"]);
    assert.ok(performance.now() - started >= 60, "the injected latency is there");
    for (let i = 0; i < 10; i++) await remote.set(["r", i], i);
    assert.equal((await Array.fromAsync(remote.list({ prefix: ["r"] }))).length, 10);
    const { stats } = await server.state() as { stats: { failRate503: number } };
    assert.ok(stats.failRate503 > 0, "some requests were answered 503 and retried");
    await server.faults({ latencyMs: 120, failRate: 0 });
    const switched = performance.now();
    await remote.get(["x"]);
    assert.ok(performance.now() - switched >= 120, "the latency switch applies at once");
  } finally {
    await cleanUp();
  }
});

test("kv-server: an outage (503) holds the client's calls, which finish once it ends", async () => {
  const { server, remote, cleanUp } = await setUp();
  try {
    await remote.set(["k"], "before");
    await server.faults({ outage: true });
    let settled = false;
    const pending = remote.get(["k"]).finally(() => settled = true);
    await eventually(async () => {
      const { stats } = await server.state() as { stats: { outage: number } };
      return stats.outage >= 2;
    }, "the client to retry during the outage");
    assert.equal(settled, false, "the client waits out the 503s");
    await server.faults({ outage: false });
    assert.equal((await within(pending, "the get after the outage")).value, "before");
  } finally {
    await cleanUp();
  }
});

test("kv-server: dropped streams and hangs hold the client's calls; a cut body fails them", async () => {
  const { server, remote, cleanUp } = await setUp();
  try {
    await remote.set(["k"], 1);
    const held = async (call: Promise<unknown>, fault: Record<string, unknown>) => {
      let settled = false;
      call.finally(() => settled = true).catch(() => {});
      const seen = (await server.state() as { stats: { data: number; outage: number } }).stats;
      await eventually(async () => {
        const now = (await server.state() as { stats: { data: number; outage: number } }).stats;
        return now.outage + now.data > seen.outage + seen.data + 1;
      }, "the client to try again");
      assert.equal(settled, false, `${JSON.stringify(fault)} leaves the call waiting`);
    };

    await server.faults({ outage: "drop" });
    const dropped = remote.set(["k"], 2);
    await held(dropped, { outage: "drop" });
    await server.faults({ outage: false });
    assert.ok((await within(dropped, "the set after the drops")).ok);
    assert.equal((await remote.get(["k"])).value, 2);

    await server.faults({ outage: "cut" });
    await assert.rejects(within(remote.get(["k"]), "the cut get"), "a cut body fails the call");
    await assert.rejects(within(remote.set(["k"], 3), "the cut set"));
    await server.faults({ outage: false });
    assert.equal((await remote.get(["k"])).value, 2, "nothing was written during the cut");

    await server.faults({ hang: true });
    let settled = false;
    const pending = remote.set(["k"], 4).finally(() => settled = true);
    await eventually(async () => (await server.state()).hang === true, "the hang");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(settled, false, "a hung server leaves the call waiting");
    await server.faults({ hang: false });
    assert.ok((await within(pending, "the set after the hang")).ok);
    assert.equal((await remote.get(["k"])).value, 4);
  } finally {
    await cleanUp();
  }
});

test("kv-server: an expired token is answered 401 and the client redoes the metadata exchange", async () => {
  const { server, remote, cleanUp } = await setUp();
  try {
    await remote.set(["k"], "v");
    type Stats = { stats: { metadata: number; unauthorized: number } };
    const before = (await server.state() as Stats).stats;
    await server.faults({ expireToken: true });
    // Deno 2.9's client takes the 401, fetches new metadata and retries the call itself.
    assert.equal((await within(remote.get(["k"]), "the get after the token expired")).value, "v");
    assert.ok((await remote.set(["k"], "w")).ok);
    const after = (await server.state() as Stats).stats;
    assert.ok(after.unauthorized > before.unauthorized, "the old token was refused");
    assert.ok(after.metadata > before.metadata, "the client redid the metadata exchange");
  } finally {
    await cleanUp();
  }
});

test("kv-server: a wrong access token is refused at the metadata exchange and /_faults", async () => {
  // The server expects another token than the one every client here presents.
  const dir = await Deno.makeTempDir({ prefix: "kv_connect_" });
  const server = await startKvServer({ path: `${dir}/remote.kv`, token: `not-${TOKEN}` });
  const cleanUp = async () => {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await assert.rejects(openRemote(server.url), /401/);
    const response = await fetch(`${server.url}/_faults`, {
      method: "POST",
      headers: { authorization: "Bearer nope" },
      body: JSON.stringify({ outage: true }),
    });
    assert.equal(response.status, 401);
    await response.body?.cancel();
    assert.equal((await server.state()).outage, false);
  } finally {
    await cleanUp();
  }
});

test("kv-server: stops promptly with a watch open and a call held by a hang", async () => {
  const { server, remote, cleanUp } = await setUp();
  try {
    const reader = remote.watch([["w"]]).getReader();
    await within(reader.read(), "the first watch message");
    await server.faults({ hang: true });
    const held = remote.get(["w"]);
    held.catch(() => {});
    await eventually(async () => (await server.state()).hang === true, "the hang");
    await within(server.stop(), "the server to stop", 5_000);
    reader.cancel().catch(() => {});
  } finally {
    await cleanUp();
  }
});

test("kv-server: versions 1 and 2 on the raw protocol, and bad requests get a 4xx with a reason", async () => {
  const { server, remote, cleanUp } = await setUp();
  try {
    await remote.set(["raw"], "value");
    const exchange = async (body?: string) => {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body,
      });
      return { status: response.status, body: await response.text() };
    };
    const v1 = JSON.parse((await exchange()).body);
    assert.equal(v1.version, 1, "no body means version 1");
    assert.equal(JSON.parse((await exchange('{"supportedVersions":[1,2]}')).body).version, 2);
    const none = await exchange('{"supportedVersions":[9]}');
    assert.equal(none.status, 400);
    assert.match(none.body, /no common protocol version/);
    assert.equal((await exchange("{nope")).status, 400);

    const read = new ProtoWriter().bytes(
      1,
      new ProtoWriter().bytes(1, encodeKey(["raw"])).bytes(
        2,
        Uint8Array.from([...encodeKey(["raw"]), 0]),
      )
        .int(3, 1).finish(),
    ).finish();
    const call = async (headers: Record<string, string>, body: Uint8Array<ArrayBuffer> = read) => {
      const response = await fetch(`${v1.endpoints[0].url}/snapshot_read`, {
        method: "POST",
        headers,
        body,
      });
      return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
    };
    const auth = { authorization: `Bearer ${v1.token}` };
    const ok = await call({ ...auth, "x-transaction-domain-id": v1.databaseId });
    assert.equal(ok.status, 200);
    const [ranges] = [...readFields(ok.body)];
    const [entry] = [...readFields(ranges.bytes)];
    const fields = [...readFields(entry.bytes)];
    assert.deepEqual(fields[0].bytes, encodeKey(["raw"]));
    assert.equal(fields[2].int, 1n, "V8 encoding");
    assert.equal(fields[3].bytes.length, 10, "a 10-byte versionstamp");

    assert.equal((await call({ "x-transaction-domain-id": v1.databaseId })).status, 401);
    assert.equal((await call({ ...auth, "x-transaction-domain-id": "other" })).status, 400);
    const garbled = await call(
      { ...auth, "x-transaction-domain-id": v1.databaseId },
      Uint8Array.from([0x0a, 0x05, 1]),
    );
    assert.equal(garbled.status, 400);
    assert.match(new TextDecoder().decode(garbled.body), /truncated/);
    await assert.rejects(server.faults({ outage: "maybe" }), /400/);
  } finally {
    await cleanUp();
  }
});
