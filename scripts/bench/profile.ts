/**
 * `deno task bench --profile DIR`: each of the gateway's load phases in a
 * fresh gateway under `--cpu-prof`, and the top of each profile
 * (`scripts/profile_top.ts`).
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
  startMockProcess,
} from "../support/processes.ts";
import type { Options } from "./options.ts";
import { BENCH_CLIENT_KEY, type PhaseRunner } from "./phases.ts";

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
      processes.push(gateway);
      const target = {
        name: "gateway",
        url: `${gateway.url}/v1/chat/completions`,
        headers: { authorization: `Bearer ${BENCH_CLIENT_KEY}` },
        check,
      };
      const result = await load(target, kind, settings.seconds);
      await gateway.stop(); // SIGTERM: the gateway exits cleanly and writes its profile
      processes.splice(processes.indexOf(gateway), 1);
      console.log(
        `\n${name} phase: ${result.rps.toFixed(0)} req/s at ${settings.connections} connections ` +
          `for ${settings.seconds} s, under the profiler (slower than without it); ` +
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
