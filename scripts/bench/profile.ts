/**
 * `deno task bench --profile DIR`: each of the gateway's load phases in a
 * fresh gateway under `--cpu-prof`, then the yardsticks' (`buffered` for
 * JSON, `observed` for streams) the same way, and the top of each profile
 * (`scripts/profile_top.ts`) with its busy CPU per answer: the gateway's gap
 * to its yardstick, function by function, in one run.
 *
 * @module
 */

import { printTop } from "../profile_top.ts";
import {
  codexAccountConfig,
  oneAccountEnv,
  QUIET,
  type ServedProcess,
  startGatewayProcess,
  startMinimalProxy,
  startMockProcess,
} from "../support/processes.ts";
import type { Options } from "./options.ts";
import { BENCH_CLIENT_KEY, type PhaseRunner } from "./phases.ts";

/** The yardsticks profiled after the gateway: each against the gateway's phase it measures. */
const YARDSTICKS = [
  ["yardstick-json", "buffered", "json"],
  ["yardstick-stream", "observed", "stream"],
] as const;

/**
 * Each of the gateway's load phases in a fresh gateway under `--cpu-prof`:
 * JSON and stream on an OpenAI account, then both on a Codex account
 * (translated: `DIR/translated-stream`, `DIR/translated-json`).
 */
export async function profile(
  dir: string,
  processes: ServedProcess[],
  settings: Pick<Options, "seconds" | "connections">,
  load: PhaseRunner["load"],
): Promise<void> {
  const mock = await startMockProcess("fast", [], QUIET);
  processes.push(mock);
  const kvDir = await Deno.makeTempDir({ prefix: "switchyard-profile-" });
  /** One load phase on `served` (stopped after it, so it writes its profile), and its top. */
  const profiled = async (
    name: string,
    out: string,
    served: ServedProcess,
    url: string,
    kind: "json" | "stream",
    check: "chat-stream" | "chat-json" | undefined,
  ) => {
    processes.push(served);
    const target = { name, url, headers: { authorization: `Bearer ${BENCH_CLIENT_KEY}` }, check };
    const result = await load(target, kind, settings.seconds);
    await served.stop(); // SIGTERM: the process exits cleanly and writes its profile
    processes.splice(processes.indexOf(served), 1);
    console.log(
      `\n${name} phase: ${result.rps.toFixed(0)} req/s at ${settings.connections} connections ` +
        `for ${settings.seconds} s, under the profiler (slower than without it); ` +
        `${result.failed} failed`,
    );
    const answers = result.rps * settings.seconds;
    for await (const entry of Deno.readDir(out)) {
      if (!entry.name.endsWith(".cpuprofile")) continue;
      const busy = await printTop(`${out}/${entry.name}`, 15);
      if (answers > 0) {
        console.log(`busy CPU per answer under the profiler: ${(busy / answers).toFixed(0)} µs`);
      }
    }
  };
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
        oneAccountEnv(mock.url, `${kvDir}/${name}.kv`, BENCH_CLIENT_KEY, account),
        { ...QUIET, denoFlags: ["--cpu-prof", `--cpu-prof-dir=${out}`] },
      );
      await profiled(name, out, gateway, `${gateway.url}/v1/chat/completions`, kind, check);
    }
    for (const [name, mode, kind] of YARDSTICKS) {
      const out = `${dir}/${name}`;
      await Deno.remove(out, { recursive: true }).catch(() => {});
      const proxy = await startMinimalProxy(mock.url, mode, {
        ...QUIET,
        denoFlags: ["--cpu-prof", `--cpu-prof-dir=${out}`],
      });
      await profiled(name, out, proxy, `${proxy.url}/v1/chat/completions`, kind, undefined);
    }
  } finally {
    await Deno.remove(kvDir, { recursive: true });
  }
}
