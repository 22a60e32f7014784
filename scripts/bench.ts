/**
 * `deno task bench`: drives a local mock upstream directly and through a real
 * gateway process, in one run, non-streaming and streaming, and prints
 * requests/s, p50/p99 latency and time to first byte for both, with the
 * gateway/direct ratios. Load generator, gateway and mock share the machine,
 * so only the ratios between rows of the same run mean anything.
 *
 * Two yardsticks run in the same pass: a minimal proxy that hands the upstream
 * body straight back (`minimal`), and the same proxy with a pass-through byte
 * stream in front of the body (`observed`), the least any proxy that counts
 * tokens must do. They show how much of the gap to `direct` is the gateway's
 * own work.
 *
 * Options: `--seconds N` per load phase (default 5), `--connections N`
 * (default 50), `--sequential N` requests for the latency phase (default 400).
 *
 * @module
 */

import { startGatewayProcess, startMinimalProxy, startMockProcess } from "./support/processes.ts";

const args = parseArgs(Deno.args);
const CLIENT_KEY = "bench-client-key";

interface Sample {
  latency: number;
  ttfb: number;
}

interface Phase {
  rps: number;
  p50: number;
  p99: number;
  ttfbP50: number;
  errors: number;
}

const mock = await startMockProcess("fast");
const kvDir = await Deno.makeTempDir({ prefix: "switchyard-bench-" });
const gateway = await startGatewayProcess({
  SWITCHYARD_KV: `${kvDir}/bench.kv`,
  SWITCHYARD_CONFIG_JSON: JSON.stringify({
    accounts: [{ id: "mock", platform: "openai", baseUrl: mock.url, apiKey: "sk-bench" }],
    groups: [{ id: "bench", accounts: ["mock"] }],
    keys: [{ id: "bench", key: CLIENT_KEY, group: "bench" }],
  }),
});

const minimal = await startMinimalProxy(mock.url, "plain");
const observed = await startMinimalProxy(mock.url, "observed");

const targets = {
  direct: `${mock.url}/chat/completions`,
  minimal: `${minimal.url}/v1/chat/completions`,
  observed: `${observed.url}/v1/chat/completions`,
  gateway: `${gateway.url}/v1/chat/completions`,
};

const results: Record<string, Phase> = {};
try {
  for (const streaming of [false, true]) {
    const kind = streaming ? "stream" : "json";
    for (const [name, url] of Object.entries(targets)) {
      await runFor(url, streaming, 1, 1); // warm-up
      const sequential = await runCount(url, streaming, args.sequential);
      const loaded = await runFor(url, streaming, args.connections, args.seconds);
      results[`${name}/${kind}/sequential`] = sequential;
      results[`${name}/${kind}/load`] = loaded;
    }
  }
} finally {
  await gateway.stop();
  await minimal.stop();
  await observed.stop();
  await mock.stop();
  await Deno.remove(kvDir, { recursive: true });
}

report();

function report(): void {
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  console.log(
    `\nSwitchyard benchmark (${args.connections} connections, ${args.seconds}s load phases, ` +
      `${args.sequential} sequential requests; streaming = 20 SSE events)\n`,
  );
  console.log(
    "phase                        req/s      p50          p99          ttfb p50     errors",
  );
  for (const [name, phase] of Object.entries(results)) {
    console.log(
      `${name.padEnd(27)}  ${phase.rps.toFixed(0).padStart(7)}   ${ms(phase.p50).padEnd(11)}  ${
        ms(phase.p99).padEnd(11)
      }  ${ms(phase.ttfbP50).padEnd(11)}  ${phase.errors}`,
    );
  }
  console.log("\ngateway vs direct, same run (targets: added p50 <= 0.5 ms, added ttfb <= 1 ms,");
  console.log("throughput >= 35 % of direct for json and >= 25 % for stream):");
  for (const kind of ["json", "stream"]) {
    const seq = (name: string) => results[`${name}/${kind}/sequential`];
    const rps = (name: string) => results[`${name}/${kind}/load`].rps;
    const share = (name: string, of: string) => `${(rps(name) / rps(of) * 100).toFixed(1)} %`;
    console.log(
      `  ${kind.padEnd(6)} added p50 ${ms(seq("gateway").p50 - seq("direct").p50)}, ` +
        `added ttfb ${ms(seq("gateway").ttfbP50 - seq("direct").ttfbP50)}, ` +
        `throughput ${share("gateway", "direct")} of direct ` +
        `(${rps("gateway").toFixed(0)} / ${rps("direct").toFixed(0)} req/s)`,
    );
    console.log(
      `         yardsticks: minimal proxy ${share("minimal", "direct")} of direct, ` +
        `with a body observer ${share("observed", "direct")}; ` +
        `the gateway does ${share("gateway", "observed")} of the latter`,
    );
  }
}

async function runCount(url: string, streaming: boolean, count: number): Promise<Phase> {
  const samples: Sample[] = [];
  let errors = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const sample = await oneRequest(url, streaming);
    if (sample) samples.push(sample);
    else errors++;
  }
  return summarize(samples, errors, performance.now() - started);
}

async function runFor(
  url: string,
  streaming: boolean,
  connections: number,
  seconds: number,
): Promise<Phase> {
  const samples: Sample[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) {
      const sample = await oneRequest(url, streaming);
      if (sample) samples.push(sample);
      else errors++;
    }
  }));
  return summarize(samples, errors, performance.now() - started);
}

async function oneRequest(url: string, streaming: boolean): Promise<Sample | null> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-test",
        stream: streaming,
        messages: [{ role: "user", content: "ping" }],
      }),
    });
    let ttfb = 0;
    const reader = response.body!.getReader();
    for (;;) {
      const { done } = await reader.read();
      if (ttfb === 0) ttfb = performance.now() - started;
      if (done) break;
    }
    return response.ok ? { latency: performance.now() - started, ttfb } : null;
  } catch {
    return null;
  }
}

function summarize(samples: Sample[], errors: number, elapsedMs: number): Phase {
  const latencies = samples.map((sample) => sample.latency).sort((a, b) => a - b);
  const ttfbs = samples.map((sample) => sample.ttfb).sort((a, b) => a - b);
  return {
    rps: samples.length / (elapsedMs / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    ttfbP50: percentile(ttfbs, 0.5),
    errors,
  };
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function parseArgs(argv: string[]): { seconds: number; connections: number; sequential: number } {
  const options = { seconds: 5, connections: 50, sequential: 400 };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "") as keyof typeof options;
    const value = Number(argv[i + 1]);
    if (!(name in options) || !Number.isFinite(value) || value <= 0) {
      console.error(`usage: deno task bench [--seconds N] [--connections N] [--sequential N]`);
      Deno.exit(2);
    }
    options[name] = value;
  }
  return options;
}
