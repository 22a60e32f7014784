/**
 * `deno task scale`: N concurrent long-lived streams (default 4,000; events
 * 1 s apart for 20 s) through the observing yardstick (the minimal proxy with
 * a pass-through byte stream on the body) and through the gateway, one after
 * the other, against one trickling mock. Prints, for each, the resident
 * memory per open stream, the CPU it used while the streams trickled, the time
 * to first byte and whether every stream arrived whole.
 *
 * Every party is a process of its own (mock, yardstick, gateway, and the
 * stream holder `support/stream_holder.ts`), and each needs one file
 * descriptor per stream, the proxies two (client and upstream socket), so
 * `ulimit -n` must exceed 2 × streams plus a few dozen.
 *
 * Options: `--streams N` (default 4000), `--seconds S` (default 20),
 * `--interval S` between events (default 1).
 *
 * @module
 */

import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { HoldResult, HoldSpec } from "./support/stream_holder.ts";
import {
  oneAccountEnv,
  QUIET,
  type ServedProcess,
  startGatewayProcess,
  startMinimalProxy,
  startMockProcess,
  supervised,
} from "./support/processes.ts";

const CLIENT_KEY = "scale-client-key";
/** File descriptors a proxy process uses besides its streams (KV, stdio, listener, V8). */
const FD_SLACK = 64;

interface Measured {
  name: string;
  hold: HoldResult;
  idleKiB: number;
  /** Resident memory over the streams open, median over the samples near the peak. */
  perStreamKiB: number;
  peakKiB: number;
  afterKiB: number;
  /** Share of one core used over the samples near the peak. */
  cpu: number;
  /** Seconds between the first and the last sample near the peak. */
  window: number;
  errors: number;
}

/** One look at the target while the holder runs. */
interface Sample {
  at: number;
  open: number;
  rssKiB: number;
  cpuSeconds: number;
}

const options = readOptions();
const events = Math.max(1, Math.round(options.seconds / options.interval));
const fdLimit = await fileDescriptorLimit();
const fdNeeded = 2 * options.streams + FD_SLACK;
console.log(
  `${options.streams} streams, ${events} events ${options.interval} s apart; 1-minute load ` +
    `average before the run ${loadavg()[0].toFixed(1)}; file descriptors: ` +
    `the limit is ${fdLimit ?? "unknown"} per process (ulimit -n), the gateway needs about ` +
    `${fdNeeded} (2 per stream + ${FD_SLACK})`,
);
if (fdLimit !== undefined && fdLimit < fdNeeded) {
  console.log(
    `warning: raise the limit (ulimit -n ${fdNeeded}) or use fewer streams; streams beyond it fail`,
  );
}

const budgetMs = (events * options.interval * 2 + options.streams / 50 + 180) * 1000;
const results = await supervised(budgetMs, async (processes) => {
  const mock = await startMockProcess(
    "trickle",
    [String(options.interval * 1000), String(events)],
    QUIET,
  );
  processes.push(mock);
  const kvDir = await Deno.makeTempDir({ prefix: "switchyard-scale-" });
  try {
    const measured: Measured[] = [];
    const observed = await startMinimalProxy(mock.url, "observed", QUIET);
    processes.push(observed);
    measured.push(await measure("observed", observed, `${observed.url}/v1/chat/completions`));
    await stopOne(processes, observed);
    const gateway = await startGatewayProcess(
      oneAccountEnv(mock.url, `${kvDir}/scale.kv`, CLIENT_KEY),
      QUIET,
    );
    processes.push(gateway);
    measured.push(await measure("gateway", gateway, `${gateway.url}/v1/chat/completions`));
    return measured;
  } finally {
    await Deno.remove(kvDir, { recursive: true });
  }
});
report(results);

async function stopOne(processes: ServedProcess[], process: ServedProcess): Promise<void> {
  processes.splice(processes.indexOf(process), 1);
  await process.stop();
}

/**
 * Warms `target` up, then holds the streams through it, sampling its memory
 * and CPU every second against the number of streams open at that moment.
 */
async function measure(name: string, target: ServedProcess, url: string): Promise<Measured> {
  const headers = { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json" };
  for (let i = 0; i < 200; i++) {
    const response = await fetch(url, { method: "POST", headers, body: body(false) });
    await response.body?.cancel();
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idleKiB = await residentKiB(target.pid);
  console.error(`[scale] ${name}: opening ${options.streams} streams`);
  const spec: HoldSpec = {
    url,
    headers,
    body: body(true),
    streams: options.streams,
    expectEvents: events,
    openConcurrency: 256,
  };
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "scripts/support/stream_holder.ts", JSON.stringify(spec)],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const killer = setTimeout(() => holder.kill("SIGKILL"), budgetMs);
  let open = 0;
  const samples: Sample[] = [];
  const sampler = setInterval(async () => {
    const [rssKiB, cpu] = await Promise.all([residentKiB(target.pid), cpuSeconds(target.pid)]);
    samples.push({ at: performance.now(), open, rssKiB, cpuSeconds: cpu });
  }, 1000);
  let last = "";
  try {
    for await (const line of lines(holder.stdout)) {
      if (line.startsWith("open ")) open = Number(line.slice(5));
      else last = line;
    }
  } finally {
    clearInterval(sampler);
    clearTimeout(killer);
  }
  await holder.status;
  const hold = JSON.parse(last) as HoldResult;
  console.error(`[scale] ${name}: all open after ${hold.openSeconds.toFixed(1)} s`);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const peak = Math.max(...samples.map((sample) => sample.open));
  const near = samples.filter((sample) => sample.open >= 0.95 * peak && sample.open > 0);
  const first = near[0];
  const final = near.at(-1);
  return {
    name,
    hold,
    idleKiB,
    perStreamKiB: median(near.map((sample) => (sample.rssKiB - idleKiB) / sample.open)),
    peakKiB: Math.max(...samples.map((sample) => sample.rssKiB)),
    afterKiB: await residentKiB(target.pid),
    cpu: first && final && final.at > first.at
      ? (final.cpuSeconds - first.cpuSeconds) / ((final.at - first.at) / 1000)
      : NaN,
    window: first && final ? (final.at - first.at) / 1000 : 0,
    errors: target.errors.length,
  };
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffer += text;
    const complete = buffer.split("\n");
    buffer = complete.pop()!;
    yield* complete.filter(Boolean);
  }
  if (buffer) yield buffer;
}

function report(results: Measured[]): void {
  const mb = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
  console.log(`\ncommand: deno task scale ${Deno.args.join(" ")}`.trimEnd());
  const rows = [[
    "target",
    "whole",
    "most open at once",
    "all open after",
    "RSS idle / peak",
    "per open stream",
    "CPU near the peak",
    "first byte p50 / p99",
    "stderr lines",
  ]];
  for (const m of results) {
    rows.push([
      m.name,
      `${m.hold.whole} of ${m.hold.streams}`,
      String(m.hold.peakOpen),
      `${m.hold.openSeconds.toFixed(1)} s`,
      `${mb(m.idleKiB)} / ${mb(m.peakKiB)}`,
      `${m.perStreamKiB.toFixed(1)} KiB`,
      `${(m.cpu * 100).toFixed(1)} % of a core over ${m.window.toFixed(0)} s`,
      `${m.hold.ttfbP50.toFixed(1)} / ${m.hold.ttfbP99.toFixed(1)} ms`,
      String(m.errors),
    ]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  "));
  for (const m of results) {
    if (m.hold.peakOpen < m.hold.streams) {
      console.log(
        `note: ${m.name}: the first streams ended before the last had begun (opening took ` +
          `${m.hold.openSeconds.toFixed(1)} s); memory and CPU are per stream open at the time`,
      );
    }
    if (m.hold.problems.length > 0) {
      console.log(`${m.name} problems: ${m.hold.problems.join("; ")}`);
    }
    console.log(`${m.name}: RSS ${mb(m.afterKiB)} 2 s after the streams ended`);
  }
  const [observed, gateway] = results;
  if (observed && gateway) {
    const ratio = gateway.perStreamKiB / observed.perStreamKiB;
    console.log(
      `\nmemory per open stream, gateway / observing yardstick: ${ratio.toFixed(2)}× ` +
        `(target ≤ 1.05×: ${ratio <= 1.05 ? "met" : "not met"}); every stream whole: ` +
        `${results.every((m) => m.hold.whole === m.hold.streams) ? "yes" : "no"}`,
    );
  }
}

function body(stream: boolean): string {
  return JSON.stringify({ model: "gpt-test", stream, messages: [{ role: "user", content: "hi" }] });
}

/** Reads `/proc/<pid>/<file>` through `cat` (Deno grants /proc of another process only with -A). */
async function procFile(pid: number, file: string): Promise<string> {
  const { stdout } = await new Deno.Command("cat", { args: [`/proc/${pid}/${file}`] }).output();
  return new TextDecoder().decode(stdout);
}

async function residentKiB(pid: number): Promise<number> {
  return Number(/VmRSS:\s+(\d+)/.exec(await procFile(pid, "status"))?.[1] ?? NaN);
}

/** User + system CPU seconds of `pid` so far (Linux clock ticks are 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await procFile(pid, "stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function fileDescriptorLimit(): Promise<number | undefined> {
  try {
    const { stdout } = await new Deno.Command("sh", { args: ["-c", "ulimit -n"] }).output();
    const value = Number(new TextDecoder().decode(stdout).trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function readOptions(): { streams: number; seconds: number; interval: number } {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      streams: { type: "string", default: "4000" },
      seconds: { type: "string", default: "20" },
      interval: { type: "string", default: "1" },
    },
  });
  const parsed = {
    streams: Number(values.streams),
    seconds: Number(values.seconds),
    interval: Number(values.interval),
  };
  if (!Object.values(parsed).every((value) => Number.isFinite(value) && value > 0)) {
    console.error("usage: deno task scale [--streams N] [--seconds S] [--interval S]");
    Deno.exit(2);
  }
  return parsed;
}
