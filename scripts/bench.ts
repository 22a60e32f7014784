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
 * change's CPU per answer); `--only failover` runs the failover row alone (with
 * `--baseline`, the other checkout's gateway taking turns with this one).
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
import type { TurnsResult, TurnsSpec } from "./support/turns_client.ts";
import { startPortkey } from "./support/peers.ts";
import {
  oneAccountEnv,
  QUIET,
  runJsonScript,
  type ServedProcess,
  startGatewayProcess,
  startMinimalProxy,
  startMockProcess,
  supervised,
} from "./support/processes.ts";
import { type Figures, progress, type Transport, TRANSPORTS } from "./bench/figures.ts";
import { readOptions } from "./bench/options.ts";
import {
  BENCH_CLIENT_KEY,
  cpuSeconds,
  type Kind,
  LATENCY_WARMUP,
  phaseRunner,
  type Target,
} from "./bench/phases.ts";
import { profile } from "./bench/profile.ts";
import {
  failoverRound,
  failoverTargets,
  runFailoverOnly,
  secondGatewayEnv,
  TRANSLATED_KEY,
} from "./bench/failover.ts";
import {
  LATENCY_SECONDS,
  printContext,
  report,
  reportFailover,
  reportSocket,
  type RunContext,
} from "./bench/report.ts";

const CLIENT_KEY = BENCH_CLIENT_KEY;
const WARMUP_SECONDS = 1;

/** The WebSocket row's turn, as the mock's Codex backend takes it (`mock_server.ts`). */
const SOCKET_TURN = {
  model: "gpt-test",
  instructions: "bench",
  input: "ping",
  store: false,
  stream: true,
};
const options = readOptions(Deno.args);
const { latency, load } = phaseRunner(options);
const context: RunContext = {
  options,
  command: `deno task bench ${Deno.args.join(" ")}`.trim(),
  loadBefore: loadavg()[0],
};

if (options.profile) {
  await supervised(10 * 60_000, (processes) => profile(options.profile!, processes, options, load));
} else if (options.only === "failover") {
  const budgetMs = (120 + options.rounds * (options.baseline ? 2 : 1) * 3 * 8) * 1000;
  const figures = await supervised(
    budgetMs,
    (processes) => runFailoverOnly(processes, latency, options.rounds, options.baseline),
  );
  printContext(context);
  reportFailover(figures, Boolean(options.baseline));
} else if (options.only === "websocket") {
  const perRound = 2 * (2 * options.seconds + 2 * LATENCY_SECONDS + 4) + 20;
  const budgetMs = (120 + options.rounds * perRound * 2) * 1000;
  const figures = await supervised(budgetMs, (processes) => runSocketRowOnly(processes));
  printContext(context);
  reportSocket(figures, options.connections);
} else {
  // The targets of the main table, the translated row's two, the WebSocket row's two.
  const rows = options.only === "json" ? 0 : 4;
  const targetCount = 5 + (options.peers ? 1 : 0) + (options.baseline ? 1 : 0) + rows;
  const perRound = targetCount * (2 * options.seconds + 2 * LATENCY_SECONDS + 4) + 20;
  const budgetMs = (120 + targetCount * 8 + options.rounds * perRound * 2) * 1000;
  const { figures, notes } = await supervised(budgetMs, (processes) => run(processes));
  report(figures, context);
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
      await startGatewayProcess(
        secondGatewayEnv(mock.url, limited.url, `${kvDir}/second.kv`),
        QUIET,
      ),
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
      await failoverRound(latency, failoverTargets(second.url, limited.url), record);
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
