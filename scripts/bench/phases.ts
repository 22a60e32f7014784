/**
 * The benchmark's phases against one target: one request at a time
 * (latency and time to first byte, `support/latency_client.ts`) and load
 * (autocannon, `support/load.ts`), each a process of its own, and the
 * serving process's CPU time per answer from `/proc`.
 *
 * @module
 */

import type { AnswerCheck } from "../support/answer_check.ts";
import type { LatencyResult, LatencySpec } from "../support/latency_client.ts";
import type { LoadResult, LoadSpec } from "../support/load.ts";
import { runJsonScript } from "../support/processes.ts";
import { progress } from "./figures.ts";
import type { Options } from "./options.ts";
import { LATENCY_SECONDS } from "./report.ts";

/** The client key of every benchmark gateway's one group. */
export const BENCH_CLIENT_KEY = "bench-client-key";

/** Untimed requests before each latency phase. */
export const LATENCY_WARMUP = 50;

/** Somewhere to send the benchmark's requests. */
export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** Check every answer's body as well as its status. */
  check?: AnswerCheck;
  /** The process that serves it, whose CPU time a load phase measures. */
  pid?: number;
}

export type Kind = "json" | "stream";
/** The latency and load phases of a run. */
export type PhaseRunner = ReturnType<typeof phaseRunner>;

/** The latency and load phases, with the run's connections and sequential count. */
export function phaseRunner(settings: Pick<Options, "connections" | "sequential">) {
  async function latency(
    target: Target,
    kind: Kind,
    count = settings.sequential,
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

  function loadPhase(target: Target, kind: Kind, seconds: number): Promise<LoadResult> {
    const spec: LoadSpec = {
      url: target.url,
      headers: { ...target.headers, "content-type": "application/json" },
      body: requestBody(kind),
      connections: settings.connections,
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

  return { latency, load };
}

function requestBody(kind: Kind): string {
  return JSON.stringify({
    model: "gpt-test",
    stream: kind === "stream",
    messages: [{ role: "user", content: "ping" }],
  });
}

/**
 * User and system CPU seconds of a process so far, or `undefined`. Read from
 * `/proc` by `cat` (Deno reads `/proc` only with every permission granted).
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
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
