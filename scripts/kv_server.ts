/**
 * `deno task kv-server`: a KV Connect TEST server (issue 19). Deno's own KV
 * client, unmodified, talks to it with `Deno.openKv("http://HOST:PORT")` and
 * `DENO_KV_ACCESS_TOKEN`; it keeps the data in a local KV file, and it can add
 * latency and faults for tests. It is not a storage engine we offer users.
 *
 * Options: `--port P` (0 picks a free one), `--path FILE` (the local KV file),
 * `--token T` (the access token), `--latency-ms N`, `--fail-rate F` (0..1, the
 * fraction of data-path requests answered 503), `--token-ttl-ms N` (life of a
 * data-path token, default one hour), `--ping-ms N` (watch keep-alive, default
 * 5000), `--host H` (default 127.0.0.1).
 * Prints `kv-server: listening on http://HOST:PORT` once serving.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { kvConnectServer, StreamCut } from "./kv_server/server.ts";
import { KvStore } from "./kv_server/store.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string" },
    path: { type: "string" },
    token: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    "latency-ms": { type: "string", default: "0" },
    "fail-rate": { type: "string", default: "0" },
    "token-ttl-ms": { type: "string", default: String(3_600_000) },
    "ping-ms": { type: "string", default: "5000" },
  },
});

function fail(message: string): never {
  console.error(`kv-server: ${message}`);
  Deno.exit(2);
}

function numberOption(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    fail(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

if (values.port === undefined || values.path === undefined || values.token === undefined) {
  fail(
    "usage: deno task kv-server --port P --path FILE --token T [--latency-ms N] [--fail-rate F] [--token-ttl-ms N]",
  );
}
const port = numberOption("port", values.port, 0, 65535);
const store = await KvStore.open(values.path);
const server = kvConnectServer(store, {
  token: values.token,
  faults: {
    latencyMs: numberOption("latency-ms", values["latency-ms"], 0, Infinity),
    failRate: numberOption("fail-rate", values["fail-rate"], 0, 1),
    outage: false,
    hang: false,
    tokenTtlMs: numberOption("token-ttl-ms", values["token-ttl-ms"], 1, Infinity),
    watchDelayMs: 0,
  },
  pingMs: numberOption("ping-ms", values["ping-ms"], 10, Infinity),
});

const http = Deno.serve({
  hostname: values.host,
  port,
  onListen: ({ hostname, port }) =>
    console.log(`kv-server: listening on http://${hostname}:${port}`),
  onError: (error) => {
    if (error instanceof StreamCut) return new Response(null, { status: 503 });
    console.error(`kv-server: ${error instanceof Error ? error.stack : error}`);
    return new Response("kv-server: internal error\n", { status: 500 });
  },
}, server.handle);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.release();
  await http.shutdown();
  store.close();
  Deno.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, stop);
