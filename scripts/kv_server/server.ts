/**
 * The KV Connect test server's HTTP side: the metadata exchange (`POST` to
 * the database URL with the access token), the data path under `/data`
 * (`snapshot_read`, `atomic_write`, `watch`: protobuf in, protobuf out) with
 * the short-lived tokens the exchange hands out, and the fault switches at
 * `/_faults`. Protocol versions 1, 2 and 3 are offered; Deno's client asks for
 * all three and gets 3.
 *
 * @module
 */

import {
  decodeAtomicWrite,
  decodeSnapshotRead,
  decodeWatch,
  encodeAtomicWriteOutput,
  encodeSnapshotReadOutput,
  encodeWatchOutput,
} from "./datapath.ts";
import { FaultError, type Faults, parseFaultChange } from "./faults.ts";
import { ProtobufError } from "./protobuf.ts";
import type { KvStore } from "./store.ts";
import { RequestError } from "./values.ts";

/** Protocol versions this server speaks. */
export const VERSIONS = [1, 2, 3] as const;
/** Where the data path lives, relative to the server's origin. */
export const DATA_PATH = "/data";

/** The server's settings. */
export interface ServerOptions {
  /** The access token clients present to the metadata exchange (`DENO_KV_ACCESS_TOKEN`). */
  token: string;
  faults: Faults;
  /** A zero-length watch frame this often tells the client the stream is alive (5 s, as denokv). */
  pingMs: number;
}

/** The request handler plus what the process needs to stop it cleanly. */
export interface KvConnectServer {
  handle(request: Request): Promise<Response>;
  faults: Faults;
  /** Ends every open watch stream and lets hung requests go, so the HTTP server can shut down. */
  release(): void;
}

const text = (status: number, body: string) =>
  new Response(body + "\n", { status, headers: { "content-type": "text/plain" } });
const protobuf = (body: Uint8Array<ArrayBuffer>) =>
  new Response(body, { headers: { "content-type": "application/x-protobuf" } });

function bearer(request: Request): string | null {
  const match = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "");
  return match ? match[1] : null;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function randomToken(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(24)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** A stream the server breaks on purpose (a fault or a stop): not worth a log line. */
export class StreamCut extends Error {}

/** A stream that fails before any answer: the client sees a reset connection. */
function dropped(): Response {
  return new Response(new ReadableStream({ start: (c) => c.error(new StreamCut("dropped")) }));
}

/** A 200 whose body breaks off after its first byte: the client's call fails reading it. */
function cut(): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new Uint8Array([0x0a]));
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.error(new StreamCut("cut"));
    },
  });
  return new Response(body, { headers: { "content-type": "application/x-protobuf" } });
}

function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + message.length);
  new DataView(out.buffer).setUint32(0, message.length, true);
  out.set(message, 4);
  return out;
}

/** Builds the server around a store. */
export function kvConnectServer(store: KvStore, options: ServerOptions): KvConnectServer {
  const faults = options.faults;
  const databaseId = crypto.randomUUID();
  /** Data-path tokens handed out, with when each expires. */
  const tokens = new Map<string, number>();
  /** How to cut each open watch stream. */
  const watches = new Set<() => void>();
  /** What tests read back from `GET /_faults`: requests seen and faults injected. */
  const stats = { metadata: 0, data: 0, failRate503: 0, outage: 0, unauthorized: 0 };
  let unhang = Promise.withResolvers<void>();

  const cutWatches = () => {
    for (const cut of [...watches]) cut();
  };

  async function admin(request: Request): Promise<Response> {
    const presented = bearer(request);
    if (presented === null || !constantTimeEqual(presented, options.token)) {
      return text(401, "kv-server: the access token is required for /_faults");
    }
    if (request.method === "POST") {
      let change;
      try {
        change = parseFaultChange(await request.json());
      } catch (error) {
        const message = error instanceof FaultError ? error.message : "the body is not JSON";
        return text(400, `kv-server: ${message}`);
      }
      Object.assign(faults, change.faults);
      if (change.expireToken) tokens.clear();
      if (faults.outage !== false) cutWatches();
      if (!faults.hang) {
        unhang.resolve();
        unhang = Promise.withResolvers<void>();
      }
    } else if (request.method !== "GET") {
      return text(405, "kv-server: GET or POST /_faults");
    }
    return Response.json({ ...faults, stats });
  }

  async function metadata(request: Request, origin: string): Promise<Response> {
    const presented = bearer(request);
    if (presented === null || !constantTimeEqual(presented, options.token)) {
      return text(401, "kv-server: unknown access token");
    }
    let supported: unknown = [1];
    const body = await request.text();
    if (body.trim() !== "") {
      try {
        supported = (JSON.parse(body) as { supportedVersions?: unknown }).supportedVersions;
      } catch {
        return text(400, "kv-server: the metadata request body is not JSON");
      }
    }
    if (!Array.isArray(supported)) {
      return text(400, "kv-server: supportedVersions must be an array");
    }
    const version = Math.max(0, ...VERSIONS.filter((v) => supported.includes(v)));
    if (version === 0) {
      return text(
        400,
        `kv-server: no common protocol version (this server speaks ${VERSIONS.join(", ")})`,
      );
    }
    const now = Date.now();
    for (const [token, expires] of tokens) if (expires <= now) tokens.delete(token);
    const token = randomToken();
    const expiresAt = now + faults.tokenTtlMs;
    tokens.set(token, expiresAt);
    return Response.json({
      version,
      databaseId,
      endpoints: [{ url: `${origin}${DATA_PATH}`, consistency: "strong" }],
      token,
      expiresAt: new Date(expiresAt).toISOString(),
    });
  }

  function checkDataHeaders(request: Request): Response | null {
    const token = bearer(request);
    const expires = token === null ? undefined : tokens.get(token);
    if (expires === undefined || expires <= Date.now()) {
      stats.unauthorized++;
      return text(
        401,
        "kv-server: the data-path token is expired or unknown; redo the metadata exchange",
      );
    }
    const version = request.headers.get("x-denokv-version");
    const id = version === null
      ? request.headers.get("x-transaction-domain-id")
      : request.headers.get("x-denokv-database-id");
    if (id !== databaseId) return text(400, "kv-server: wrong or missing database id header");
    return null;
  }

  function watchResponse(keys: Uint8Array[]): Response {
    const updates = store.watch(keys).getReader();
    let ping: ReturnType<typeof setInterval> | undefined;
    let cut = () => {};
    const stop = () => {
      clearInterval(ping);
      watches.delete(cut);
      updates.cancel().catch(() => {});
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const fail = (error: unknown) => {
          stop();
          try {
            controller.error(error);
          } catch {
            // Already closed or cut.
          }
        };
        cut = () => fail(new StreamCut("watch stream cut"));
        watches.add(cut);
        ping = setInterval(() => {
          try {
            controller.enqueue(frame(new Uint8Array(0)));
          } catch (error) {
            fail(error);
          }
        }, options.pingMs);
      },
      async pull(controller) {
        try {
          const { done, value } = await updates.read();
          if (faults.watchDelayMs > 0) {
            await new Promise((r) => setTimeout(r, faults.watchDelayMs));
          }
          if (done) {
            stop();
            controller.close();
          } else controller.enqueue(frame(encodeWatchOutput(value)));
        } catch (error) {
          stop();
          try {
            controller.error(error);
          } catch {
            // Already cut.
          }
        }
      },
      cancel: stop,
    });
    return new Response(body, { headers: { "content-type": "application/octet-stream" } });
  }

  async function dataPath(request: Request, method: string): Promise<Response> {
    const refused = checkDataHeaders(request);
    if (refused) return refused;
    const body = new Uint8Array(await request.arrayBuffer());
    try {
      switch (method) {
        case "snapshot_read":
          return protobuf(encodeSnapshotReadOutput(await store.read(decodeSnapshotRead(body))));
        case "atomic_write": {
          const result = await store.write(decodeAtomicWrite(body));
          return protobuf(
            encodeAtomicWriteOutput(result.status, result.versionstamp, result.failedChecks),
          );
        }
        case "watch":
          return watchResponse(decodeWatch(body));
      }
    } catch (error) {
      if (error instanceof RequestError || error instanceof ProtobufError) {
        return text(400, `kv-server: ${error.message}`);
      }
      throw error;
    }
    return text(404, `kv-server: no data-path method ${method}`);
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/_faults") return admin(request);
    while (faults.hang) await unhang.promise;
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.outage !== false) stats.outage++;
    if (faults.outage === "503") return text(503, "kv-server: outage (injected)");
    if (faults.outage === "drop") return dropped();
    if (faults.outage === "cut") return cut();
    if (request.method !== "POST") return text(405, "kv-server: KV Connect requests are POSTs");
    if (url.pathname.startsWith(`${DATA_PATH}/`)) {
      stats.data++;
      if (faults.failRate > 0 && Math.random() < faults.failRate) {
        stats.failRate503++;
        return text(503, "kv-server: injected failure (--fail-rate)");
      }
      return dataPath(request, url.pathname.slice(DATA_PATH.length + 1));
    }
    stats.metadata++;
    return metadata(request, url.origin);
  }

  const release = () => {
    cutWatches();
    faults.hang = false;
    unhang.resolve();
  };
  return { handle, faults, release };
}
