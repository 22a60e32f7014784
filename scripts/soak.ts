/**
 * `deno task soak`: the fault-injection soak (issue 7). N gateway processes on
 * one KV file (default 4), a fault-injecting upstream and a load driver run
 * for a bounded time (default 120 s); mid-run one gateway is killed with
 * SIGKILL and restarted. Then every invariant is checked and printed as a
 * table whose last line is `N passed, M failed`; the exit status is 1 when
 * any failed. Seeded: the same `--seed` gives the same accounts, fault
 * profiles, requests and faults per request, so a failure can be replayed.
 *
 * Beside the HTTP requests, Responses WebSocket sessions run (`soak/sockets.ts`): several
 * turns over one connection each, through the same faults and checks.
 *
 * Options: `--seed N` (default 1), `--seconds N` (default 120),
 * `--gateways N` (default 4), `--short` (30 s, for CI), `--dump FILE` (write
 * every record of the run as JSON, for a closer look at a failure).
 *
 * The store (issue 19; `soak/kv.ts`): a KV file by default; `--kv-url URL` puts
 * the gateways on a remote KV over KV Connect (token from `--kv-token` or
 * `DENO_KV_ACCESS_TOKEN`); `--kv-url server` starts the KV Connect test server
 * on loopback (a temporary file, a random token) and stops it at the end. On
 * that server the run also gets a burst of 503s, an expired token and an
 * outage of `--kv-outage-ms` (default 5000; 0 for none) at seeded times.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { checkAll, outcomes, type Row } from "./soak/checks.ts";
import { CLIENT_TIMEOUT_MS } from "./soak/driver.ts";
import { type Evidence, Index, outcomeOf } from "./soak/evidence.ts";
import { kvChoice } from "./soak/kv.ts";
import { kvFaultPlan, makePlan } from "./soak/plan.ts";
import { runSoak } from "./soak/run.ts";

const DEFAULT_SEED = 1;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: String(DEFAULT_SEED) },
    seconds: { type: "string" },
    gateways: { type: "string", default: "4" },
    short: { type: "boolean", default: false },
    dump: { type: "string" },
    "kv-url": { type: "string" },
    "kv-token": { type: "string" },
    "kv-outage-ms": { type: "string" },
  },
});
const seed = whole("seed", values.seed, 0);
const seconds = whole("seconds", values.seconds ?? (values.short ? "30" : "120"), 10);
const gateways = whole("gateways", values.gateways, 2);
const kv = kvChoice(values["kv-url"], values["kv-token"], Deno.env.get("DENO_KV_ACCESS_TOKEN"));
if (typeof kv === "string") usage(kv);
if (values["kv-outage-ms"] !== undefined && kv.kind !== "server") {
  usage("--kv-outage-ms needs --kv-url server (the soak's own test server has the fault switches)");
}
const outageMs = whole(
  "kv-outage-ms",
  values["kv-outage-ms"] ?? String(Math.min(5000, seconds * 250)),
  0,
);
if (kv.kind === "server" && outageMs > seconds * 250) {
  usage(`--kv-outage-ms must be at most a quarter of the run (${seconds * 250} ms)`);
}
const plan = makePlan(
  seed,
  seconds,
  gateways,
  kv.kind === "server" ? kvFaultPlan(seed, seconds, outageMs) : undefined,
);
const replayKv = kv.kind === "file"
  ? ""
  : kv.kind === "remote"
  ? ` --kv-url ${values["kv-url"]}`
  : ` --kv-url server --kv-outage-ms ${outageMs}`;

// However the run goes, it ends: a hung phase is cut off here.
const watchdog = setTimeout(() => {
  console.error("soak: overran its time limit; giving up");
  Deno.exit(1);
}, seconds * 1000 + CLIENT_TIMEOUT_MS + 120_000);
Deno.unrefTimer(watchdog);

const started = performance.now();
let evidence: Evidence;
try {
  evidence = await runSoak(plan, kv, (line) => console.log(line));
} catch (error) {
  console.error(`soak: the run failed: ${error instanceof Error ? error.stack : error}`);
  console.log("0 passed, 1 failed");
  Deno.exit(1);
}
clearTimeout(watchdog);
if (values.dump) await Deno.writeTextFile(values.dump, JSON.stringify(evidence));
const rows = checkAll(evidence);
printFigures(evidence, (performance.now() - started) / 1000);
printTable(rows);
const failed = rows.filter((row) => !row.ok).length;
console.log(`${rows.length - failed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);

function printFigures({ clients, arrivals, notes }: Evidence, wallSeconds: number): void {
  const load = (notes.loadEndedAt - notes.startedAt) / 1000;
  const index = new Index(evidence);
  const byOutcome = [...outcomes(index)].map(([outcome, list]) => `${outcome} ${list.length}`);
  const faults = new Map<string, number>();
  for (const arrival of arrivals) faults.set(arrival.fault, (faults.get(arrival.fault) ?? 0) + 1);
  const faulty = arrivals.filter((arrival) => arrival.fault !== "ok").length;
  const ok = clients.filter((client) => client.status === 200).length;
  console.log("");
  console.log(
    `seed ${plan.seed}, ${plan.gateways} gateways, ${plan.seconds}s of load (${
      load.toFixed(1)
    }s with the drain), ` +
      `${
        wallSeconds.toFixed(0)
      }s in all; replay: deno task soak --seed ${plan.seed} --seconds ${plan.seconds} ` +
      `--gateways ${plan.gateways}${replayKv}`,
  );
  console.log(
    `client requests ${clients.length} (${
      (clients.length / load).toFixed(1)
    }/s; 200 answers ${ok}, ` +
      `${(ok / load).toFixed(1)}/s): ${byOutcome.join(", ")}`,
  );
  const turns = clients.filter((client) => client.socket && !client.socket.warmup);
  const sessions = new Set(turns.map((client) => client.socket!.session)).size;
  const turnsOk = turns.filter((client) => outcomeOf(client, index) === "ok").length;
  console.log(
    `WebSocket sessions ${sessions}: ${turns.length} turns (${
      (turns.length / load).toFixed(1)
    }/s, ${turnsOk} answered whole)`,
  );
  console.log(
    `upstream attempts ${arrivals.length}, ${faulty} faulted: ` +
      [...faults].filter(([kind]) => kind !== "ok").sort((a, b) => b[1] - a[1])
        .map(([kind, count]) => `${kind} ${count}`).join(", "),
  );
  console.log(
    `gateway ${notes.killedGateway} killed at +${
      (((notes.killedAt ?? 0) - notes.startedAt) / 1000).toFixed(1)
    }s, ` +
      `restarted at +${(((notes.restartedAt ?? 0) - notes.startedAt) / 1000).toFixed(1)}s; ` +
      `${notes.resets.length} disabled accounts reset by the operator`,
  );
  if (notes.kv.kind !== "file") {
    const stats = notes.kv.serverStats;
    console.log(
      `KV: ${notes.kv.kind === "server" ? "the soak's KV Connect test server" : "remote"} ` +
        `${notes.kv.url}` +
        notes.kv.faults.map((fault) =>
          `; ${fault.what} at +${((fault.from - notes.startedAt) / 1000).toFixed(1)}s` +
          (fault.to > fault.from ? ` for ${((fault.to - fault.from) / 1000).toFixed(1)}s` : "")
        ).join("") +
        (stats
          ? `; server saw ${stats.metadata} metadata exchanges, ${stats.data} data-path requests, ` +
            `${stats.outage} answered by a fault, ${stats.unauthorized} with an expired token`
          : ""),
    );
  }
  console.log("");
}

function printTable(rows: Row[]): void {
  const width = Math.max(...rows.map((row) => row.name.length));
  console.log(`${"invariant".padEnd(width)}  result  detail`);
  console.log(`${"-".repeat(width)}  ------  ------`);
  for (const row of rows) {
    console.log(`${row.name.padEnd(width)}  ${row.ok ? "pass  " : "FAIL  "}  ${row.detail}`);
  }
  console.log("");
}

function usage(message: string): never {
  console.error(`soak: ${message}`);
  Deno.exit(2);
}

function whole(name: string, raw: string | undefined, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`soak: --${name} must be a whole number of at least ${min}, got "${raw}"`);
    Deno.exit(2);
  }
  return value;
}
