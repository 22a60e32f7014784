/**
 * The benchmark's report: what the run was (options, command, machine), the
 * main table with each figure's ratios to the yardsticks and the baseline,
 * failover once, the translated row, the WebSocket row, and the targets,
 * each met or not.
 *
 * @module
 */

import { loadavg } from "node:os";
import {
  type Figures,
  median,
  pairwise,
  printTable,
  ratio,
  sum0,
  type Transport,
  withSpread,
} from "./figures.ts";
import type { Options } from "./options.ts";

/** A latency phase stops after this long even short of `--sequential` requests. */
export const LATENCY_SECONDS = 5;

/** What a run was: its options, its command line, the load average before it. */
export interface RunContext {
  options: Options;
  command: string;
  loadBefore: number;
}

export function report(figures: Figures, run: RunContext): void {
  const { options } = run;
  const names = [...new Set([...figures.keys()].map((key) => key.split("/")[0]))]
    .filter((name) => !["failover", "translation", "websocket"].includes(name));
  const values = (name: string, figure: string) => figures.get(`${name}/${figure}`) ?? [];
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const micros = (value: number) => `${value.toFixed(0)} µs`;
  printContext(run);
  const rows: [string, string, (value: number) => string][] = [
    ["json req/s", "json rps", (value) => value.toFixed(0)],
    ["json p50, one at a time", "json p50", ms],
    ["json CPU per answer (serving process)", "json cpu", micros],
    ["stream req/s", "stream rps", (value) => value.toFixed(0)],
    ["stream first byte p50, one at a time", "stream ttfb", ms],
    ["stream whole p50, one at a time", "stream p50", ms],
    ["stream CPU per answer (serving process)", "stream cpu", micros],
  ];
  const table: string[][] = [["figure", ...names]];
  for (const [label, figure, format] of rows) {
    if (names.every((name) => values(name, figure).length === 0)) continue; // no /proc here
    table.push([label, ...names.map((name) => withSpread(values(name, figure), format))]);
    const bases = ["minimal", "observed", ...(names.includes("baseline") ? ["baseline"] : [])];
    for (const base of bases) {
      table.push([
        `  × ${base}`,
        ...names.map((name) => `${ratio(values(name, figure), values(base, figure)).toFixed(2)}×`),
      ]);
    }
  }
  const failures = names.map((name) =>
    ["json latency", "stream latency", "json load", "stream load"]
      .reduce((sum, figure) => sum + sum0(values(name, `${figure} failures`)), 0)
  );
  table.push(["failed or unexpected answers", ...failures.map(String)]);
  printTable(table);
  if (options.only === "json") return;

  const { added, budget } = reportFailover(figures, false);
  const translated = reportTranslation(figures, ms);
  reportSocket(figures, options.connections);

  const diff = (figure: string, base: string) =>
    median(pairwise(values("gateway", figure), values(base, figure), (a, b) => a - b));
  const share = (figure: string, base: string) =>
    ratio(values("gateway", figure), values(base, figure));
  const met = (ok: boolean) => (ok ? "yes" : "no");
  const cpu = median(values("gateway", "json cpu"));
  const targetRows: string[][] = [
    ["target (gateway, same run)", "measured", "met"],
    ["json req/s ≥ 0.70 × minimal", `${share("json rps", "minimal").toFixed(2)}×`, ""],
    ["json CPU per answer ≤ 100 µs", micros(cpu), met(cpu <= 100)],
    ["stream req/s ≥ 0.90 × observed", `${share("stream rps", "observed").toFixed(2)}×`, ""],
    ["json p50 ≤ observed + 0.10 ms", `+${ms(diff("json p50", "observed"))}`, ""],
    ["stream first byte ≤ observed + 0.10 ms", `+${ms(diff("stream ttfb", "observed"))}`, ""],
  ];
  targetRows[1][2] = met(share("json rps", "minimal") >= 0.7);
  targetRows[3][2] = met(share("stream rps", "observed") >= 0.9);
  targetRows[4][2] = met(diff("json p50", "observed") <= 0.1);
  targetRows[5][2] = met(diff("stream ttfb", "observed") <= 0.1);
  if (names.includes("portkey")) {
    targetRows.push(
      ["json req/s ≥ 8 × portkey", `${share("json rps", "portkey").toFixed(2)}×`, ""],
      ["stream req/s ≥ 3 × portkey", `${share("stream rps", "portkey").toFixed(2)}×`, ""],
    );
    targetRows[6][2] = met(share("json rps", "portkey") >= 8);
    targetRows[7][2] = met(share("stream rps", "portkey") >= 3);
  }
  targetRows.push([
    "translated stream req/s ≥ 0.8 × native",
    `${translated.toFixed(2)}×`,
    met(translated >= 0.8),
  ]);
  const overBudget = median(pairwise(added, budget, (a, b) => a - b));
  targetRows.push([
    "failover once: added ≤ failed call + 1 ms",
    `${ms(median(added))} vs ${ms(median(budget))}`,
    met(overBudget <= 0),
  ]);
  console.log("");
  printTable(targetRows);
}

/** What the run was: options, command, machine, how figures are summed up. */
export function printContext(run: RunContext): void {
  const { options, command, loadBefore } = run;
  console.log(
    `\nSwitchyard benchmark: ${options.rounds} round(s), ${options.connections} connections, ` +
      `${options.seconds} s load phases, up to ${options.sequential} sequential requests ` +
      `(${LATENCY_SECONDS} s at most) per latency phase; stream = 20 SSE events\n` +
      `command: ${command}\n` +
      `machine: ${navigator.hardwareConcurrency} cores; 1-minute load average ` +
      `${loadBefore.toFixed(1)} before the run (other work), ${loadavg()[0].toFixed(1)} at its ` +
      `end (with the benchmark's own)\n` +
      `figures: median over rounds, ±half the range as a share of it; ratios: median of per-round ratios\n`,
  );
}

/**
 * The WebSocket row's table: the same Responses turn over one WebSocket per
 * client and over HTTP (`stream: true`, one keep-alive connection per client),
 * on one gateway. Figures only; no target.
 */
export function reportSocket(figures: Figures, connections: number): void {
  const values = (transport: Transport, figure: string) =>
    figures.get(`websocket/${transport}/${figure}`) ?? [];
  if (values("websocket", "tps").length === 0) return;
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const rows: [string, string, (value: number) => string][] = [
    [`turns/s, ${connections} clients`, "tps", (value) => value.toFixed(0)],
    ["first event p50, one at a time", "first p50", ms],
    ["first event p99, one at a time", "first p99", ms],
    ["whole turn p50, one at a time", "whole p50", ms],
    ["CPU per turn (gateway)", "cpu", (value) => `${value.toFixed(0)} µs`],
  ];
  const table = [["figure", "http", "websocket", "websocket ÷ http"]];
  for (const [label, figure, format] of rows) {
    if (values("http", figure).length === 0) continue; // no /proc here
    table.push([
      label,
      withSpread(values("http", figure), format),
      withSpread(values("websocket", figure), format),
      `${ratio(values("websocket", figure), values("http", figure)).toFixed(2)}×`,
    ]);
  }
  table.push([
    "failed turns",
    String(sum0(values("http", "failures"))),
    String(sum0(values("websocket", "failures"))),
    "",
  ]);
  console.log(
    `\nWebSocket turns: the same Responses turn (the mock's 20-event Responses stream) over one ` +
      `Responses WebSocket per client (response.create, one event a message) against ` +
      `POST /v1/responses with stream: true over one keep-alive connection per client, one ` +
      `gateway, taking turns; turns do not continue one another (same body each time); ` +
      `first event: WebSocket's first message, HTTP's first body byte`,
  );
  printTable(table);
}

/**
 * The translated row's table: the same Chat client on the second gateway's
 * Codex-only group (translated) and on its OpenAI account (native). Returns
 * the translated stream req/s as a share of the native.
 */
function reportTranslation(figures: Figures, ms: (value: number) => string): number {
  const values = (name: string, figure: string) =>
    figures.get(`translation/${name}/${figure}`) ?? [];
  const count = (value: number) => value.toFixed(0);
  const rows: [string, string, (value: number) => string][] = [
    ["stream req/s", "stream rps", count],
    ["stream first byte p50, one at a time", "stream ttfb", ms],
    ["stream whole p50, one at a time", "stream p50", ms],
    ["stream CPU per answer (gateway)", "stream cpu", (value) => `${value.toFixed(0)} µs`],
    ["json req/s (info)", "json rps", count],
    ["json p50, one at a time (info)", "json p50", ms],
  ];
  const table = [["figure", "native", "translated", "translated ÷ native"]];
  for (const [label, figure, format] of rows) {
    if (values("native", figure).length === 0) continue; // no /proc here
    table.push([
      label,
      withSpread(values("native", figure), format),
      withSpread(values("translated", figure), format),
      `${ratio(values("translated", figure), values("native", figure)).toFixed(2)}×`,
    ]);
  }
  const failures = (name: string) =>
    ["stream latency", "json latency", "stream load", "json load"]
      .reduce((sum, figure) => sum + sum0(values(name, `${figure} failures`)), 0);
  table.push([
    "failed or unexpected answers",
    String(failures("native")),
    String(failures("translated")),
    "",
  ]);
  console.log(
    `\ntranslated request: a Chat client on a group with only a Codex account (the mock's ` +
      `ChatGPT backend, Responses only: Chat → Responses → Chat, JSON aggregated from its ` +
      `stream) against the same client on an OpenAI account (native), one gateway, taking ` +
      `turns; translated answers checked to be well-formed Chat answers`,
  );
  printTable(table);
  return ratio(values("translated", "stream rps"), values("native", "stream rps"));
}

/**
 * The failover row: p50 with and without one failover, what it added, and the
 * failed call alone; with `baseline`, the baseline gateway's figures too.
 * Returns this gateway's per-round added time and the target's budget.
 */
export function reportFailover(
  figures: Figures,
  baseline: boolean,
): { added: number[]; budget: number[] } {
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const row = (prefix: string) => {
    const failover = (key: string) => figures.get(`${prefix}failover/${key}`) ?? [];
    const added = pairwise(failover("once"), failover("plain"), (a, b) => a - b);
    const budget = failover("failedCall").map((value) => value + 1);
    console.log(
      `\n${prefix ? "baseline: " : ""}failover once (JSON, one at a time, one gateway; ` +
        `its first account answers 429 at once):\n` +
        `  no failover p50 ${ms(median(failover("plain")))}, failover once p50 ` +
        `${ms(median(failover("once")))}: added ${ms(median(added))}; the failed call alone ` +
        `(direct to the 429 account) p50 ${ms(median(failover("failedCall")))}` +
        ` (failures: ${
          ["plain", "once", "failedCall"].map((key) => sum0(failover(`${key} failures`))).join("/")
        })`,
    );
    return { added, budget };
  };
  const own = row("");
  if (baseline) {
    const base = row("baseline/");
    console.log(`  added × baseline: ${ratio(own.added, base.added).toFixed(2)}×`);
  }
  return own;
}
