/**
 * The KV Connect test server (`scripts/kv_server.ts`) as a subprocess for
 * tests: started on loopback on a free port over a KV file, with its fault
 * switches a call away. Deno's own client reaches it with
 * `Deno.openKv(server.url)` and `DENO_KV_ACCESS_TOKEN` set to `server.token`.
 *
 * @module
 */

import { type GatewayProcess, ROOT, startListening } from "./process.ts";

/** A running KV Connect test server. */
export interface KvServer extends AsyncDisposable {
  /** The database URL for `Deno.openKv`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The access token (`DENO_KV_ACCESS_TOKEN`). */
  token: string;
  /** The local KV file it keeps the data in. */
  path: string;
  /** `POST /_faults`: e.g. `{ outage: true }`, `{ expireToken: true }`, `{ latencyMs: 40 }`. */
  faults(change: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** `GET /_faults`: the faults in force and the request counts. */
  state(): Promise<Record<string, unknown>>;
  process: GatewayProcess;
  stop(): Promise<void>;
}

/** Options of {@linkcode startKvServer}; the names are the server's flags. */
export interface KvServerOptions {
  path: string;
  token?: string;
  latencyMs?: number;
  failRate?: number;
  tokenTtlMs?: number;
  pingMs?: number;
}

/** Starts `scripts/kv_server.ts` on 127.0.0.1 port 0 and waits until it listens. */
export async function startKvServer(options: KvServerOptions): Promise<KvServer> {
  const token = options.token ?? `kv-test-${crypto.randomUUID()}`;
  const args = [
    "run",
    "--config",
    `${ROOT}deno.json`,
    "--allow-net",
    "--allow-read",
    "--allow-write",
    `${ROOT}scripts/kv_server.ts`,
    "--port",
    "0",
    "--path",
    options.path,
    "--token",
    token,
  ];
  if (options.latencyMs !== undefined) args.push("--latency-ms", String(options.latencyMs));
  if (options.failRate !== undefined) args.push("--fail-rate", String(options.failRate));
  if (options.tokenTtlMs !== undefined) args.push("--token-ttl-ms", String(options.tokenTtlMs));
  if (options.pingMs !== undefined) args.push("--ping-ms", String(options.pingMs));
  const process = await startListening(
    args,
    {},
    /kv-server: listening on http:\/\/([^\s/]+):(\d+)/,
  );
  const admin = async (init: RequestInit) => {
    const response = await fetch(`${process.url}/_faults`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`kv-server /_faults ${response.status}: ${body}`);
    return JSON.parse(body) as Record<string, unknown>;
  };
  return {
    url: process.url,
    token,
    path: options.path,
    faults: (change) => admin({ method: "POST", body: JSON.stringify(change) }),
    state: () => admin({ method: "GET" }),
    process,
    stop: process.stop,
    [Symbol.asyncDispose]: process.stop,
  };
}
