/**
 * What a remote KV costs a gateway (issue 19), measured in one run against
 * the same gateway on a local KV file: `main.ts` with two OpenAI accounts
 * (primary, backup) on a local file, then on a remote KV through the KV
 * Connect test server (`scripts/kv_server.ts`) with `--latency-ms` 5 and 40
 * (or `--latency-ms A,B,...`), and a second gateway on the same remote KV.
 * Prints a table, per store:
 *
 * - KV round trips per request: the server's data-path count over
 *   `--requests N` sequential requests after a warm-up, less what the same
 *   gateway makes in an idle window as long (usage flushes, the watch's
 *   heartbeat): the awaited ones, 0 when nothing changed.
 * - p50 of a request, and what the remote KV adds to the file's.
 * - p50 of a failover (the primary answers 429 once, the backup serves).
 * - staleness: from gateway A's failover answer (its cooldown is committed
 *   before it answers) until gateway B's requests, sent back to back, skip
 *   the cooled primary (`--trials N`). Polled, so it includes up to one
 *   request of B (its p50 is shown).
 *
 * `deno task kv-probe [--latency-ms 5,40] [--requests 60] [--trials 15]`
 *
 * @module
 */

import { chatCompletion, json, startMockUpstream } from "./support/mock_upstream.ts";
import { percentile } from "./support/latency_client.ts";
import {
  openaiAccountConfig,
  QUIET,
  type ServedProcess,
  startGatewayProcess,
  startKvServerProcess,
} from "./support/processes.ts";

const CLIENT_KEY = "sk-probe-client-0123456789";
const KV_TOKEN = "probe-kv-token-0123456789";
const SECRET = "probe-secret-0123456789-0123456789";
const ADMIN = "probe-admin-token-0123456789-0123456789";
const FROM_A = "from gateway A";

function option(name: string, fallback: string): string {
  const at = Deno.args.indexOf(name);
  return at >= 0 && Deno.args[at + 1] ? Deno.args[at + 1] : fallback;
}

const latencies = option("--latency-ms", "5,40").split(",").map(Number);
const requests = Number(option("--requests", "60"));
const trials = Number(option("--trials", "15"));

/** How many of the primary's next answers are 429s. */
let primaryFails = 0;
/** Only gateway A's requests (their message says so) meet the 429s; B's polls never write. */
const primary = startMockUpstream((_request, hit) => {
  if (primaryFails <= 0 || !hit.body.includes(FROM_A)) return json(200, chatCompletion("primary"));
  primaryFails--;
  return json(429, { error: { message: "slow down", type: "rate_limit_error" } }, {
    "retry-after": "600",
  });
}, { record: false });
const backup = startMockUpstream(() => json(200, chatCompletion("backup")), { record: false });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ask(
  url: string,
  content = FROM_A,
): Promise<{ ms: number; account: string | null }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content }] }),
  });
  await response.text();
  if (response.status !== 200) throw new Error(`request: ${response.status}`);
  return { ms: performance.now() - started, account: response.headers.get("x-switchyard-account") };
}

async function admin(url: string, path: string, method = "GET"): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return await response.json();
}

async function primaryState(url: string): Promise<string> {
  const rows = await admin(url, "/admin/accounts") as { id: string; state: string }[];
  return rows.find((row) => row.id === "primary")?.state ?? "missing";
}

/** Resets the primary through `url` and waits until every gateway in `all` sees it active. */
async function resetPrimary(url: string, all: string[]): Promise<void> {
  await admin(url, "/admin/accounts/primary/reset", "POST");
  for (const each of all) while (await primaryState(each) !== "active") await sleep(5);
}

async function dataRequests(kvServer: ServedProcess): Promise<number> {
  const response = await fetch(`${kvServer.url}/_faults`, {
    headers: { authorization: `Bearer ${KV_TOKEN}` },
  });
  const body = await response.json() as { stats: { data: number } };
  return body.stats.data;
}

interface Row {
  store: string;
  roundTrips?: number;
  p50: number;
  failoverP50: number;
  stale?: { p50: number; max: number; poll: number; firstHonoured: number };
}

/** The round trips, p50 and failover p50 of the gateway at `url`. */
async function measure(url: string, kvServer?: ServedProcess): Promise<Row> {
  for (let i = 0; i < 20; i++) await ask(url);
  await sleep(300);
  const before = kvServer ? await dataRequests(kvServer) : 0;
  const started = performance.now();
  const times: number[] = [];
  for (let i = 0; i < requests; i++) times.push((await ask(url)).ms);
  let roundTrips: number | undefined;
  if (kvServer) {
    const during = await dataRequests(kvServer) - before;
    const idleFrom = await dataRequests(kvServer);
    await sleep(performance.now() - started);
    const idle = await dataRequests(kvServer) - idleFrom;
    roundTrips = Math.max(0, during - idle) / requests;
  }
  const failovers: number[] = [];
  for (let i = 0; i < trials; i++) {
    await resetPrimary(url, [url]);
    primaryFails = 1;
    const { ms, account } = await ask(url);
    if (account !== "backup" || primaryFails !== 0) throw new Error("the failover did not happen");
    failovers.push(ms);
  }
  return {
    store: "",
    roundTrips,
    p50: percentile(times, 0.5),
    failoverP50: percentile(failovers, 0.5),
  };
}

/**
 * Commit on A -> B honours it, ms: from A's failover answer (its cooldown is
 * committed before it answers) until B's request (one that A's 429s do not
 * meet) is served by the backup; and the duration of one such request.
 */
async function staleness(a: string, b: string): Promise<Row["stale"]> {
  const delays: number[] = [];
  const polls: number[] = [];
  let firstHonoured = 0;
  for (let i = 0; i < trials; i++) {
    await resetPrimary(a, [a, b]);
    primaryFails = 1;
    await ask(a);
    const answered = performance.now();
    for (let poll = 0;; poll++) {
      const { ms, account } = await ask(b, "from gateway B");
      polls.push(ms);
      if (account !== "backup") continue;
      if (poll === 0) firstHonoured++;
      break;
    }
    delays.push(performance.now() - answered);
  }
  return {
    p50: percentile(delays, 0.5),
    max: Math.max(...delays),
    poll: percentile(polls, 0.5),
    firstHonoured,
  };
}

const dir = await Deno.makeTempDir({ prefix: "switchyard-kv-probe-" });
const gatewayEnv = (kv: string) => ({
  SWITCHYARD_KV: kv,
  SWITCHYARD_CONFIG_JSON: JSON.stringify({
    accounts: [
      openaiAccountConfig("primary", `${primary.url}/v1`, { priority: 1 }),
      openaiAccountConfig("backup", `${backup.url}/v1`, { priority: 2 }),
    ],
    groups: [{ id: "probe", accounts: ["primary", "backup"] }],
    keys: [{ id: "probe", key: CLIENT_KEY, group: "probe" }],
  }),
  SWITCHYARD_SECRET: SECRET,
  SWITCHYARD_ADMIN_TOKEN: ADMIN,
  SWITCHYARD_LOG: "off",
  DENO_KV_ACCESS_TOKEN: KV_TOKEN,
});
const rows: Row[] = [];
try {
  const file = await startGatewayProcess(gatewayEnv(`${dir}/file.kv`), QUIET);
  rows.push({ ...await measure(file.url), store: "local file" });
  await file.stop();
  for (const latency of latencies) {
    const kvServer = await startKvServerProcess(
      `${dir}/server-${latency}.kv`,
      KV_TOKEN,
      ["--latency-ms", String(latency)],
      QUIET,
    );
    const a = await startGatewayProcess(gatewayEnv(kvServer.url), QUIET);
    const b = await startGatewayProcess(gatewayEnv(kvServer.url), QUIET);
    const row = await measure(a.url, kvServer);
    await ask(b.url);
    rows.push({ ...row, store: `remote, ${latency} ms`, stale: await staleness(a.url, b.url) });
    await a.stop();
    await b.stop();
    await kvServer.stop();
  }
} finally {
  await primary.close();
  await backup.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

const file = rows[0];
const ms = (value: number) => value.toFixed(1);
console.log(
  "| store | KV round trips / request | p50 ms | added p50 ms | failover p50 ms | " +
    "added failover ms | staleness A->B p50 / max ms (B request p50) |",
);
console.log("|---|---|---|---|---|---|---|");
for (const row of rows) {
  const stale = row.stale
    ? `${ms(row.stale.p50)} / ${ms(row.stale.max)} (${ms(row.stale.poll)}); ` +
      `B's first request honoured it in ${row.stale.firstHonoured}/${trials}`
    : "- (one process)";
  console.log(
    `| ${row.store} | ${
      row.roundTrips === undefined ? "- (no server)" : row.roundTrips.toFixed(2)
    } | ` +
      `${ms(row.p50)} | ${ms(row.p50 - file.p50)} | ${ms(row.failoverP50)} | ` +
      `${ms(row.failoverP50 - file.failoverP50)} | ${stale} |`,
  );
}
