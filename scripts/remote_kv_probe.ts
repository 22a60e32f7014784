/**
 * Measures what a remote KV costs a gateway, before any optimisation: one
 * `main.ts` on a local KV file and one on a remote KV through the KV Connect
 * test server (`scripts/kv_server.ts`) with `--latency-ms` 5 and 40 (or
 * `--latency-ms A,B,...`), the same mock upstream, `--requests N` sequential
 * non-streaming requests each after a warm-up. Prints, per latency: the KV
 * Connect data-path requests per gateway request (the server's own count,
 * background usage flushes included), the p50 latency on the file and on the
 * remote KV, the added p50, and that added p50 over the injected latency (an
 * estimate of the awaited, serial round trips on a request's path).
 *
 * `deno run -A scripts/remote_kv_probe.ts [--latency-ms 5,40] [--requests 60]`
 *
 * @module
 */

import { chatCompletion, json, startMockUpstream } from "./support/mock_upstream.ts";
import { percentile } from "./support/latency_client.ts";
import {
  oneAccountEnv,
  QUIET,
  type ServedProcess,
  startGatewayProcess,
  startScriptProcess,
} from "./support/processes.ts";

const CLIENT_KEY = "sk-probe-client-0123456789";
const KV_TOKEN = "probe-kv-token-0123456789";
const SECRET = "probe-secret-0123456789-0123456789";

function option(name: string, fallback: string): string {
  const at = Deno.args.indexOf(name);
  return at >= 0 && Deno.args[at + 1] ? Deno.args[at + 1] : fallback;
}

const latencies = option("--latency-ms", "5,40").split(",").map(Number);
const requests = Number(option("--requests", "60"));

async function timedRequests(url: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] }),
    });
    await response.text();
    if (response.status !== 200) throw new Error(`request ${i}: ${response.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

async function dataRequests(kvServer: ServedProcess): Promise<number> {
  const response = await fetch(`${kvServer.url}/_faults`, {
    headers: { authorization: `Bearer ${KV_TOKEN}` },
  });
  const body = await response.json() as { stats: { data: number } };
  return body.stats.data;
}

const upstream = startMockUpstream(() => json(200, chatCompletion("ok")), { record: false });
const dir = await Deno.makeTempDir({ prefix: "switchyard-kv-probe-" });
const gatewayEnv = (kv: string) => ({
  ...oneAccountEnv(`${upstream.url}/v1`, kv, CLIENT_KEY),
  SWITCHYARD_SECRET: SECRET,
  SWITCHYARD_LOG: "off",
  DENO_KV_ACCESS_TOKEN: KV_TOKEN,
});
const rows: string[] = [];
try {
  const file = await startGatewayProcess(gatewayEnv(`${dir}/file.kv`), QUIET);
  await timedRequests(file.url, 20);
  const fileP50 = percentile(await timedRequests(file.url, requests), 0.5);
  await file.stop();
  for (const latency of latencies) {
    const kvServer = await startScriptProcess([
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "scripts/kv_server.ts",
      "--port",
      "0",
      "--path",
      `${dir}/server-${latency}.kv`,
      "--token",
      KV_TOKEN,
      "--latency-ms",
      String(latency),
    ], QUIET);
    const remote = await startGatewayProcess(gatewayEnv(kvServer.url), QUIET);
    await timedRequests(remote.url, 20);
    const before = await dataRequests(kvServer);
    const times = await timedRequests(remote.url, requests);
    const perRequest = (await dataRequests(kvServer) - before) / requests;
    const p50 = percentile(times, 0.5);
    const added = p50 - fileP50;
    rows.push(
      `latency ${latency} ms: ${perRequest.toFixed(2)} KV requests per request; ` +
        `p50 file ${fileP50.toFixed(1)} ms, remote ${p50.toFixed(1)} ms, added ${
          added.toFixed(1)
        } ms (= ${(added / latency).toFixed(1)} x the injected latency)`,
    );
    console.log(rows.at(-1));
    await remote.stop();
    await kvServer.stop();
  }
} finally {
  await upstream.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
