/**
 * `deno task bench`: the gateway against a mock upstream, directly and through
 * yardsticks, in one pass. Every party is a process of its own: the mock, the
 * minimal proxy (`minimal`), the same proxy with a pass-through byte stream on
 * the body (`observed`), the same proxy reading each JSON answer whole and
 * answering from its bytes (`buffered`, as the gateway does), the gateway
 * (request log on, one account, no limits),
 * with `--peers` the Portkey gateway (Node), and the clients: autocannon for
 * load (`support/load.ts`, a new process per phase) and a raw HTTP/1.1 client
 * for one-at-a-time latency and time to first byte (`support/latency_client.ts`).
 *
 * Each round takes turns through the targets phase by phase (starting one
 * target later each round), then measures failover once: a gateway whose
 * first account answers 429 at once, against the same gateway on a group with
 * only the good account. Then a translated request: on that same gateway, a
 * Chat client on a group with only a Codex account (the mock's ChatGPT
 * backend, which serves Responses only, so Chat → Responses → Chat) against
 * the same client on the OpenAI account (native), taking turns; every
 * translated answer is checked to be a well-formed Chat answer. Each load
 * phase also gives the serving process's CPU time per answer (Linux `/proc`),
 * the figure that moves least with other work on the machine. Then the
 * WebSocket row: the same Responses turn over one Responses WebSocket per
 * client against `POST /v1/responses` (`stream: true`) over one keep-alive
 * connection per client, on the first gateway, taking turns: first-event and
 * whole-turn latency one at a time, turns per second under load
 * (`support/turns_client.ts`). Figures are
 * medians over `--rounds`; ratios are medians of the per-round ratios. The
 * benchmark prints figures; it does not pass or fail.
 *
 * `--only websocket` runs just the mock, the gateway and the WebSocket row (for
 * working on it without the whole benchmark); `--only json` runs the main
 * table's JSON rows alone (latency and load, every yardstick, with
 * `--baseline` the other checkout's gateway: a quick before and after of one
 * change's CPU per answer).
 *
 * `--baseline DIR` adds the gateway of another checkout (for example an older
 * commit in a `git worktree`) to the main table as `baseline`, taking turns
 * with this one, with a `× baseline` ratio per figure: before and after in
 * one run.
 *
 * `--profile DIR` instead runs the gateway's JSON and stream load phases,
 * native and translated, each in a fresh gateway under `--cpu-prof`, and prints
 * the top of each profile.
 *
 * @module
 */

import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { AnswerCheck } from "./support/answer_check.ts";
import type { LatencyResult, LatencySpec } from "./support/latency_client.ts";
import type { LoadResult, LoadSpec } from "./support/load.ts";
import type { TurnsResult, TurnsSpec } from "./support/turns_client.ts";
import { startPortkey } from "./support/peers.ts";
import {
  codexAccountConfig,
  oneAccountEnv,
  openaiAccountConfig,
  QUIET,
  runJsonScript,
  type ServedProcess,
  startGatewayProcess,
  startMinimalProxy,
  startMockProcess,
  supervised,
} from "./support/processes.ts";
import { printTop } from "./profile_top.ts";

const USAGE = "usage: deno task bench [--rounds N] [--seconds N] [--connections N] " +
  "[--sequential N] [--peers] [--baseline DIR] [--only websocket|json] [--profile DIR]";
const CLIENT_KEY = "bench-client-key";
const FAILOVER_KEY = "bench-failover-key";
const TRANSLATED_KEY = "bench-translated-key";
/** A latency phase stops after this long even short of `--sequential` requests. */
const LATENCY_SECONDS = 5;
const LATENCY_WARMUP = 50;
const WARMUP_SECONDS = 1;

/** The WebSocket row's turn, as the mock's Codex backend takes it (`mock_server.ts`). */
const SOCKET_TURN = {
  model: "gpt-test",
  instructions: "bench",
  input: "ping",
  store: false,
  stream: true,
};
const TRANSPORTS = ["http", "websocket"] as const;
type Transport = (typeof TRANSPORTS)[number];

interface Options {
  rounds: number;
  seconds: number;
  connections: number;
  sequential: number;
  peers: boolean;
  /** Run only this row (`websocket`) or the main table's JSON rows (`json`). */
  only?: "websocket" | "json";
  /** Another checkout whose gateway joins the main table as `baseline` (before/after in one run). */
  baseline?: string;
  profile?: string;
}

/** Somewhere to send the benchmark's requests. */
interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** Check every answer's body as well as its status. */
  check?: AnswerCheck;
  /** The process that serves it, whose CPU time a load phase measures. */
  pid?: number;
}

type Kind = "json" | "stream";
/** Per target and figure, one value per round. */
type Figures = Map<string, number[]>;

const options = readOptions(Deno.args);
const command = `deno task bench ${Deno.args.join(" ")}`.trim();
const loadBefore = loadavg()[0];

if (options.profile) {
  await supervised(10 * 60_000, (processes) => profile(options.profile!, processes));
} else if (options.only === "websocket") {
  const perRound = 2 * (2 * options.seconds + 2 * LATENCY_SECONDS + 4) + 20;
  const budgetMs = (120 + options.rounds * perRound * 2) * 1000;
  const figures = await supervised(budgetMs, (processes) => runSocketRowOnly(processes));
  printContext();
  reportSocket(figures);
} else {
  // The targets of the main table, the translated row's two, the WebSocket row's two.
  const rows = options.only === "json" ? 0 : 4;
  const targetCount = 5 + (options.peers ? 1 : 0) + (options.baseline ? 1 : 0) + rows;
  const perRound = targetCount * (2 * options.seconds + 2 * LATENCY_SECONDS + 4) + 20;
  const budgetMs = (120 + targetCount * 8 + options.rounds * perRound * 2) * 1000;
  const { figures, notes } = await supervised(budgetMs, (processes) => run(processes));
  report(figures);
  if (notes.length > 0) console.log(`\n${notes.join("\n")}`);
}

async function run(processes: ServedProcess[]): Promise<{ figures: Figures; notes: string[] }> {
  const names = new Map<ServedProcess, string>();
  const started = (name: string, process: ServedProcess) => {
    processes.push(process);
    names.set(process, name);
    return process;
  };
  const mock = started("mock", await startMockProcess("fast", [], QUIET));
  const limited = started("429 mock", await startMockProcess("limited", [], QUIET));
  const kvDir = await Deno.makeTempDir({ prefix: "switchyard-bench-" });
  try {
    const gateway = started(
      "gateway",
      await startGatewayProcess(oneAccountEnv(mock.url, `${kvDir}/bench.kv`, CLIENT_KEY), QUIET),
    );
    const second = started(
      "failover and translation gateway",
      await startGatewayProcess(secondGatewayEnv(mock.url, limited.url, kvDir), QUIET),
    );
    const minimal = started("minimal", await startMinimalProxy(mock.url, "plain", QUIET));
    const observed = started("observed", await startMinimalProxy(mock.url, "observed", QUIET));
    const buffered = started("buffered", await startMinimalProxy(mock.url, "buffered", QUIET));
    const auth = { authorization: `Bearer ${CLIENT_KEY}` };
    const targets: Target[] = [
      { name: "direct", url: `${mock.url}/chat/completions`, headers: auth, pid: mock.pid },
      {
        name: "minimal",
        url: `${minimal.url}/v1/chat/completions`,
        headers: auth,
        pid: minimal.pid,
      },
      {
        name: "observed",
        url: `${observed.url}/v1/chat/completions`,
        headers: auth,
        pid: observed.pid,
      },
      {
        name: "buffered",
        url: `${buffered.url}/v1/chat/completions`,
        headers: auth,
        pid: buffered.pid,
      },
      {
        name: "gateway",
        url: `${gateway.url}/v1/chat/completions`,
        headers: auth,
        pid: gateway.pid,
      },
    ];
    if (options.baseline) {
      // The same gateway set-up run from another checkout (its own main.ts), on its own KV file.
      const env = oneAccountEnv(mock.url, `${kvDir}/baseline.kv`, CLIENT_KEY);
      const baseline = started(
        "baseline",
        await startGatewayProcess(env, { ...QUIET, cwd: options.baseline }),
      );
      targets.push({
        name: "baseline",
        url: `${baseline.url}/v1/chat/completions`,
        headers: auth,
        pid: baseline.pid,
      });
    }
    if (options.peers) {
      const portkey = await startPortkey(mock.url);
      started("portkey", portkey.process);
      targets.push({
        name: "portkey",
        url: portkey.url,
        headers: { ...portkey.headers, authorization: "Bearer sk-bench" },
        pid: portkey.process.pid,
      });
    }
    const secondChat = `${second.url}/v1/chat/completions`;
    const failoverTargets = {
      plain: { name: "no failover", url: secondChat, headers: auth },
      once: {
        name: "failover once",
        url: secondChat,
        headers: { authorization: `Bearer ${FAILOVER_KEY}` },
      },
      failedCall: { name: "429 account", url: `${limited.url}/chat/completions`, headers: {} },
    };
    const translationTargets = (kind: Kind): Target[] => [
      { name: "native", url: secondChat, headers: auth, pid: second.pid },
      {
        name: "translated",
        url: secondChat,
        pid: second.pid,
        headers: { authorization: `Bearer ${TRANSLATED_KEY}` },
        check: kind === "stream" ? "chat-stream" : "chat-json",
      },
    ];

    const jsonOnly = options.only === "json";
    const kinds = jsonOnly ? ["json"] as const : ["json", "stream"] as const;
    const warmed = [
      ...targets.map((target) => target.name),
      ...(jsonOnly ? [] : ["native", "translated", "websocket", "http turns"]),
    ];
    progress(`warming up ${warmed.join(", ")}`);
    for (const kind of kinds) {
      for (const target of [...targets, ...(jsonOnly ? [] : translationTargets(kind))]) {
        await latency(target, kind, 0);
        await load(target, kind, WARMUP_SECONDS);
      }
    }
    if (!jsonOnly) await warmSocketRow(gateway.url);
    const figures: Figures = new Map();
    const record = (key: string, value: number) =>
      figures.set(key, [...(figures.get(key) ?? []), value]);
    for (let round = 0; round < options.rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const kind of kinds) {
        for (const target of order) {
          const result = await latency(target, kind);
          record(`${target.name}/${kind} p50`, result.p50);
          if (kind === "stream") record(`${target.name}/stream ttfb`, result.ttfbP50);
          record(`${target.name}/${kind} latency failures`, result.unexpected);
        }
      }
      for (const kind of kinds) {
        for (const target of order) {
          const result = await load(target, kind, options.seconds);
          record(`${target.name}/${kind} rps`, result.rps);
          if (result.cpuMicros !== undefined) {
            record(`${target.name}/${kind} cpu`, result.cpuMicros);
          }
          record(`${target.name}/${kind} load failures`, result.failed);
        }
      }
      if (jsonOnly) {
        progress(`round ${round + 1} of ${options.rounds} done`);
        continue;
      }
      for (const [key, target] of Object.entries(failoverTargets)) {
        const result = await latency(target, "json", undefined, key === "failedCall" ? 429 : 200);
        record(`failover/${key}`, result.p50);
        record(`failover/${key} failures`, result.unexpected);
      }
      await translationRound(round, translationTargets, record);
      await socketRound(round, gateway, record);
      progress(`round ${round + 1} of ${options.rounds} done`);
    }
    const notes = [...names].filter(([process]) => process.errors.length > 0).map((
      [process, name],
    ) =>
      `${name} wrote ${process.errors.length} lines to stderr, the last: ${
        process.errors.at(-1)?.slice(0, 160)
      }`
    );
    return { figures, notes };
  } finally {
    await Promise.all(processes.splice(0).map((process) => process.stop()));
    await Deno.remove(kvDir, { recursive: true });
  }
}

/**
 * Three groups on one gateway: `bench` has the good account only; `failover`
 * tries the 429 account first; `codex` has only a Codex account on the same
 * mock (its ChatGPT backend, Responses only). A zero `rateLimited` cooldown
 * keeps the 429 account first in line, so every request fails over exactly
 * once.
 */
function secondGatewayEnv(
  upstream: string,
  limited: string,
  kvDir: string,
): Record<string, string> {
  return {
    SWITCHYARD_KV: `${kvDir}/second.kv`,
    SWITCHYARD_CONFIG_JSON: JSON.stringify({
      failover: { cooldownSeconds: { rateLimited: 0 } },
      accounts: [
        openaiAccountConfig("limited", limited, { priority: 1 }),
        openaiAccountConfig("mock", upstream, { priority: 2 }),
        codexAccountConfig("codex", upstream),
      ],
      groups: [
        { id: "bench", accounts: ["mock"] },
        { id: "failover", accounts: ["limited", "mock"] },
        { id: "codex", accounts: ["codex"] },
      ],
      keys: [
        { id: "bench", key: CLIENT_KEY, group: "bench" },
        { id: "failover", key: FAILOVER_KEY, group: "failover" },
        { id: "translated", key: TRANSLATED_KEY, group: "codex" },
      ],
    }),
  };
}

/**
 * One round of the translated row: native and translated take turns (the
 * other first each round), streams then JSON, one at a time then under load.
 */
async function translationRound(
  round: number,
  targetsFor: (kind: Kind) => Target[],
  record: (key: string, value: number) => void,
): Promise<void> {
  const inTurn = (kind: Kind) => {
    const [native, translated] = targetsFor(kind);
    return round % 2 ? [translated, native] : [native, translated];
  };
  for (const kind of ["stream", "json"] as const) {
    for (const target of inTurn(kind)) {
      const result = await latency(target, kind);
      record(`translation/${target.name}/${kind} p50`, result.p50);
      record(`translation/${target.name}/${kind} ttfb`, result.ttfbP50);
      record(`translation/${target.name}/${kind} latency failures`, result.unexpected);
    }
  }
  for (const kind of ["stream", "json"] as const) {
    for (const target of inTurn(kind)) {
      const result = await load(target, kind, options.seconds);
      record(`translation/${target.name}/${kind} rps`, result.rps);
      if (result.cpuMicros !== undefined) {
        record(`translation/${target.name}/${kind} cpu`, result.cpuMicros);
      }
      record(`translation/${target.name}/${kind} load failures`, result.failed);
    }
  }
}

/** The mock and one gateway, then rounds of the WebSocket row alone (`--only websocket`). */
async function runSocketRowOnly(processes: ServedProcess[]): Promise<Figures> {
  const mock = await startMockProcess("fast", [], QUIET);
  processes.push(mock);
  const kvDir = await Deno.makeTempDir({ prefix: "switchyard-bench-" });
  try {
    const gateway = await startGatewayProcess(
      oneAccountEnv(mock.url, `${kvDir}/bench.kv`, CLIENT_KEY),
      QUIET,
    );
    processes.push(gateway);
    progress("warming up websocket, http turns");
    await warmSocketRow(gateway.url);
    const figures: Figures = new Map();
    const record = (key: string, value: number) =>
      figures.set(key, [...(figures.get(key) ?? []), value]);
    for (let round = 0; round < options.rounds; round++) {
      await socketRound(round, gateway, record);
      progress(`round ${round + 1} of ${options.rounds} done`);
    }
    if (gateway.errors.length > 0) {
      console.error(`the gateway wrote to stderr, the last: ${gateway.errors.at(-1)}`);
    }
    return figures;
  } finally {
    await Promise.all(processes.splice(0).map((process) => process.stop()));
    await Deno.remove(kvDir, { recursive: true });
  }
}

async function warmSocketRow(url: string): Promise<void> {
  for (const transport of TRANSPORTS) {
    await turns(transport, url, options.connections, 1_000_000, 0, WARMUP_SECONDS);
  }
}

/**
 * One round of the WebSocket row: HTTP and WebSocket take turns (the other
 * first each round), one at a time, then under load, on one gateway.
 */
async function socketRound(
  round: number,
  gateway: ServedProcess,
  record: (key: string, value: number) => void,
): Promise<void> {
  const order: readonly Transport[] = round % 2 ? [...TRANSPORTS].reverse() : TRANSPORTS;
  for (const transport of order) {
    const result = await turns(
      transport,
      gateway.url,
      1,
      options.sequential,
      LATENCY_WARMUP,
      LATENCY_SECONDS,
    );
    record(`websocket/${transport}/first p50`, result.firstEventP50);
    record(`websocket/${transport}/first p99`, result.firstEventP99);
    record(`websocket/${transport}/whole p50`, result.wholeP50);
    record(`websocket/${transport}/failures`, result.failures);
  }
  for (const transport of order) {
    const before = cpuSeconds(gateway.pid);
    const result = await turns(
      transport,
      gateway.url,
      options.connections,
      1_000_000,
      0,
      options.seconds,
    );
    const after = cpuSeconds(gateway.pid);
    record(`websocket/${transport}/tps`, result.turnsPerSecond);
    record(`websocket/${transport}/failures`, result.failures);
    if (before !== undefined && after !== undefined && result.turns > 0) {
      record(`websocket/${transport}/cpu`, (after - before) * 1e6 / result.turns);
    }
  }
}

async function turns(
  transport: Transport,
  url: string,
  clients: number,
  count: number,
  warmup: number,
  maxSeconds: number,
): Promise<TurnsResult> {
  const spec: TurnsSpec = {
    transport,
    url,
    key: CLIENT_KEY,
    body: SOCKET_TURN,
    clients,
    count,
    warmup,
    maxSeconds,
  };
  const result = await runJsonScript<TurnsResult>(
    "scripts/support/turns_client.ts",
    ["--allow-net"],
    spec,
    (maxSeconds + 30) * 1000,
  );
  if (result.firstProblem) {
    progress(`${transport} turns: ${result.failures} failed, the first ${result.firstProblem}`);
  }
  return result;
}

function requestBody(kind: Kind): string {
  return JSON.stringify({
    model: "gpt-test",
    stream: kind === "stream",
    messages: [{ role: "user", content: "ping" }],
  });
}

async function latency(
  target: Target,
  kind: Kind,
  count = options.sequential,
  expectStatus = 200,
): Promise<LatencyResult> {
  const spec: LatencySpec = {
    url: target.url,
    headers: { ...target.headers, "content-type": "application/json" },
    body: requestBody(kind),
    count,
    warmup: LATENCY_WARMUP,
    maxSeconds: LATENCY_SECONDS,
    expectStatus,
    check: target.check,
  };
  const result = await runJsonScript<LatencyResult>(
    "scripts/support/latency_client.ts",
    ["--allow-net"],
    spec,
    (LATENCY_SECONDS + 30) * 1000,
  );
  if (result.firstProblem) {
    progress(
      `${target.name} ${kind}: ${result.unexpected} unexpected answers, the first ${result.firstProblem}`,
    );
  }
  return result;
}

/**
 * One load phase. With the target's process known (Linux), it also gives that
 * process's CPU time per answer: steadier than req/s on a shared machine,
 * where other work takes turns on the cores.
 */
async function load(
  target: Target,
  kind: Kind,
  seconds: number,
): Promise<LoadResult & { cpuMicros?: number }> {
  const before = cpuSeconds(target.pid);
  const result = await loadPhase(target, kind, seconds);
  const after = cpuSeconds(target.pid);
  const answers = result.ok + result.failed;
  if (before === undefined || after === undefined || answers === 0) return result;
  return { ...result, cpuMicros: (after - before) * 1e6 / answers };
}

/**
 * User and system CPU seconds of a process so far, or `undefined`. Read from
 * `/proc` by `cat` (Deno reads `/proc` only with every permission granted).
 */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const read = new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stderr: "null" })
      .outputSync();
    if (!read.success) return undefined;
    const stat = new TextDecoder().decode(read.stdout);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime, in clock ticks: 100 a second on Linux (`getconf CLK_TCK`).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function loadPhase(target: Target, kind: Kind, seconds: number): Promise<LoadResult> {
  const spec: LoadSpec = {
    url: target.url,
    headers: { ...target.headers, "content-type": "application/json" },
    body: requestBody(kind),
    connections: options.connections,
    seconds,
    check: target.check,
  };
  return runJsonScript(
    "scripts/support/load.ts",
    ["--allow-net", "--allow-read", "--allow-env", "--allow-sys"],
    spec,
    (seconds + 30) * 1000,
  );
}

/**
 * Each of the gateway's load phases in a fresh gateway under `--cpu-prof`:
 * JSON and stream on an OpenAI account, then both on a Codex account
 * (translated: `DIR/translated-stream`, `DIR/translated-json`).
 */
async function profile(dir: string, processes: ServedProcess[]): Promise<void> {
  const mock = await startMockProcess("fast", [], QUIET);
  processes.push(mock);
  const kvDir = await Deno.makeTempDir({ prefix: "switchyard-profile-" });
  try {
    const phases = [
      { name: "json", kind: "json" as const, account: undefined },
      { name: "stream", kind: "stream" as const, account: undefined },
      {
        name: "translated-stream",
        kind: "stream" as const,
        account: codexAccountConfig("codex", mock.url),
        check: "chat-stream" as const,
      },
      {
        name: "translated-json",
        kind: "json" as const,
        account: codexAccountConfig("codex", mock.url),
        check: "chat-json" as const,
      },
    ];
    for (const { name, kind, account, check } of phases) {
      const out = `${dir}/${name}`;
      await Deno.remove(out, { recursive: true }).catch(() => {});
      const gateway = await startGatewayProcess(
        oneAccountEnv(mock.url, `${kvDir}/${name}.kv`, CLIENT_KEY, account),
        { ...QUIET, denoFlags: ["--cpu-prof", `--cpu-prof-dir=${out}`] },
      );
      processes.push(gateway);
      const target = {
        name: "gateway",
        url: `${gateway.url}/v1/chat/completions`,
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
        check,
      };
      const result = await load(target, kind, options.seconds);
      await gateway.stop(); // SIGTERM: the gateway exits cleanly and writes its profile
      processes.splice(processes.indexOf(gateway), 1);
      console.log(
        `\n${name} phase: ${result.rps.toFixed(0)} req/s at ${options.connections} connections ` +
          `for ${options.seconds} s, under the profiler (slower than without it); ` +
          `${result.failed} failed`,
      );
      for await (const entry of Deno.readDir(out)) {
        if (entry.name.endsWith(".cpuprofile")) await printTop(`${out}/${entry.name}`, 15);
      }
    }
  } finally {
    await Deno.remove(kvDir, { recursive: true });
  }
}

function report(figures: Figures): void {
  const names = [...new Set([...figures.keys()].map((key) => key.split("/")[0]))]
    .filter((name) => !["failover", "translation", "websocket"].includes(name));
  const values = (name: string, figure: string) => figures.get(`${name}/${figure}`) ?? [];
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const micros = (value: number) => `${value.toFixed(0)} µs`;
  printContext();
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

  const failover = (key: string) => figures.get(`failover/${key}`) ?? [];
  const added = pairwise(failover("once"), failover("plain"), (a, b) => a - b);
  const budget = failover("failedCall").map((value) => value + 1);
  console.log(
    `\nfailover once (JSON, one at a time, one gateway; its first account answers 429 at once):\n` +
      `  no failover p50 ${ms(median(failover("plain")))}, failover once p50 ` +
      `${ms(median(failover("once")))}: added ${ms(median(added))}; the failed call alone ` +
      `(direct to the 429 account) p50 ${ms(median(failover("failedCall")))}` +
      ` (failures: ${
        ["plain", "once", "failedCall"].map((key) => sum0(failover(`${key} failures`))).join("/")
      })`,
  );
  const translated = reportTranslation(figures, ms);
  reportSocket(figures);

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
function printContext(): void {
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
function reportSocket(figures: Figures): void {
  const values = (transport: Transport, figure: string) =>
    figures.get(`websocket/${transport}/${figure}`) ?? [];
  if (values("websocket", "tps").length === 0) return;
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const rows: [string, string, (value: number) => string][] = [
    [`turns/s, ${options.connections} clients`, "tps", (value) => value.toFixed(0)],
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

/** The median of the per-round ratios `a[i] / b[i]`. */
function ratio(a: number[], b: number[]): number {
  return median(pairwise(a, b, (x, y) => x / y));
}

function pairwise(a: number[], b: number[], f: (x: number, y: number) => number): number[] {
  return a.slice(0, b.length).map((x, i) => f(x, b[i]));
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function sum0(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0);
}

/** `median ±x%`, x being half the range across rounds over the median. */
function withSpread(values: number[], format: (value: number) => string): string {
  const mid = median(values);
  if (values.length < 2) return format(mid);
  const spread = (Math.max(...values) - Math.min(...values)) / 2 / mid * 100;
  return `${format(mid)} ±${spread.toFixed(0)}%`;
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) {
    console.log(
      row.map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column])
      )
        .join("   "),
    );
  }
}

function progress(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function readOptions(args: string[]): Options {
  try {
    const { values } = parseArgs({
      args,
      options: {
        rounds: { type: "string", default: "1" },
        seconds: { type: "string", default: "5" },
        connections: { type: "string", default: "50" },
        sequential: { type: "string", default: "500" },
        peers: { type: "boolean", default: false },
        only: { type: "string" },
        profile: { type: "string" },
        baseline: { type: "string" },
      },
    });
    const whole = (name: string, raw: string) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be 1 or more`);
      return value;
    };
    if (values.only !== undefined && values.only !== "websocket" && values.only !== "json") {
      throw new Error(`--only takes "websocket" or "json", got "${values.only}"`);
    }
    return {
      only: values.only as Options["only"],
      rounds: whole("rounds", values.rounds),
      seconds: whole("seconds", values.seconds),
      connections: whole("connections", values.connections),
      sequential: whole("sequential", values.sequential),
      peers: values.peers,
      profile: values.profile,
      baseline: values.baseline,
    };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    Deno.exit(2);
  }
}
