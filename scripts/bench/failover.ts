/**
 * The benchmark's failover row: a gateway whose `failover` group tries an
 * account that answers 429 at once before the good one, against the same
 * gateway on a group with the good account only, one request at a time; and
 * the failed call alone, straight to the 429 account. `--only failover` runs
 * just this row (with `--baseline`, the other checkout's gateway too, taking
 * turns): the second gateway's set-up lives here for both.
 *
 * @module
 */

import { BENCH_CLIENT_KEY, type PhaseRunner, type Target } from "./phases.ts";
import {
  codexAccountConfig,
  openaiAccountConfig,
  QUIET,
  type ServedProcess,
  startGatewayProcess,
  startMockProcess,
} from "../support/processes.ts";
import { type Figures, progress } from "./figures.ts";

/** The `failover` group's client key. */
export const FAILOVER_KEY = "bench-failover-key";
/** The `codex` group's client key (the translated row). */
export const TRANSLATED_KEY = "bench-translated-key";

/**
 * Three groups on one gateway: `bench` has the good account only; `failover`
 * tries the 429 account first; `codex` has only a Codex account on the same
 * mock (its ChatGPT backend, Responses only). A zero `rateLimited` cooldown
 * keeps the 429 account first in line, so every request fails over exactly
 * once.
 */
export function secondGatewayEnv(
  upstream: string,
  limited: string,
  kvPath: string,
): Record<string, string> {
  return {
    SWITCHYARD_KV: kvPath,
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
        { id: "bench", key: BENCH_CLIENT_KEY, group: "bench" },
        { id: "failover", key: FAILOVER_KEY, group: "failover" },
        { id: "translated", key: TRANSLATED_KEY, group: "codex" },
      ],
    }),
  };
}

/** The row's three targets on the gateway at `gatewayUrl`. */
export function failoverTargets(gatewayUrl: string, limitedUrl: string): Record<string, Target> {
  const chat = `${gatewayUrl}/v1/chat/completions`;
  return {
    plain: {
      name: "no failover",
      url: chat,
      headers: { authorization: `Bearer ${BENCH_CLIENT_KEY}` },
    },
    once: {
      name: "failover once",
      url: chat,
      headers: { authorization: `Bearer ${FAILOVER_KEY}` },
    },
    failedCall: { name: "429 account", url: `${limitedUrl}/chat/completions`, headers: {} },
  };
}

/** One round of the row; figures under `${prefix}failover/...`. */
export async function failoverRound(
  latency: PhaseRunner["latency"],
  targets: Record<string, Target>,
  record: (key: string, value: number) => void,
  prefix = "",
): Promise<void> {
  for (const [key, target] of Object.entries(targets)) {
    const result = await latency(target, "json", undefined, key === "failedCall" ? 429 : 200);
    record(`${prefix}failover/${key}`, result.p50);
    record(`${prefix}failover/${key} failures`, result.unexpected);
  }
}

/** `--only failover`: the mocks, this gateway (and the baseline's), the row each round. */
export async function runFailoverOnly(
  processes: ServedProcess[],
  latency: PhaseRunner["latency"],
  rounds: number,
  baseline: string | undefined,
): Promise<Figures> {
  const mock = await startMockProcess("fast", [], QUIET);
  processes.push(mock);
  const limited = await startMockProcess("limited", [], QUIET);
  processes.push(limited);
  const kvDir = await Deno.makeTempDir({ prefix: "switchyard-bench-" });
  try {
    const gateways: [string, ServedProcess][] = [];
    for (const [prefix, cwd] of [["", undefined], ["baseline/", baseline]] as const) {
      if (prefix && !cwd) continue;
      const env = secondGatewayEnv(
        mock.url,
        limited.url,
        `${kvDir}/${prefix ? "baseline" : "gateway"}.kv`,
      );
      const gateway = await startGatewayProcess(env, { ...QUIET, ...(cwd ? { cwd } : {}) });
      processes.push(gateway);
      gateways.push([prefix, gateway]);
    }
    progress("warming up the failover row");
    for (const [, gateway] of gateways) {
      for (const target of Object.values(failoverTargets(gateway.url, limited.url))) {
        await latency(target, "json", 200, target.name === "429 account" ? 429 : 200);
      }
    }
    const figures: Figures = new Map();
    const record = (key: string, value: number) =>
      figures.set(key, [...(figures.get(key) ?? []), value]);
    for (let round = 0; round < rounds; round++) {
      const order = gateways.map((_, i) => gateways[(i + round) % gateways.length]);
      for (const [prefix, gateway] of order) {
        await failoverRound(latency, failoverTargets(gateway.url, limited.url), record, prefix);
      }
      progress(`round ${round + 1} of ${rounds} done`);
    }
    return figures;
  } finally {
    await Promise.all(processes.splice(0).map((process) => process.stop()));
    await Deno.remove(kvDir, { recursive: true });
  }
}
