/**
 * Test harness for the operator features: a gateway on a temporary KV file,
 * served over a real loopback socket, with its request log captured.
 */

import { validateConfig } from "../../lib/config/validate.ts";
import {
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../../scripts/support/mock_upstream.ts";
import { createGateway, type Gateway } from "../../lib/app.ts";
import type { RequestLogEntry } from "../../lib/observe/request_log.ts";

export const ADMIN_TOKEN = "admin-token-for-tests";
export const SECRET = "a-long-random-secret-for-tests-0123456789";

/** A gateway under test. */
export interface Harness {
  url: string;
  gateway: Gateway;
  kv: Deno.Kv;
  kvPath: string;
  logs: RequestLogEntry[];
  /** Admin API call with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/** Options for {@linkcode startHarness}. */
export interface HarnessOptions {
  /** The config document (accounts, groups, keys, failover...). */
  config: Record<string, unknown>;
  adminToken?: string | null;
  secret?: string | null;
  metricsToken?: string;
  /** Reuse a KV file (a second "process" on the same state). */
  kvPath?: string;
  usageFlushMs?: number;
}

/** Starts a gateway on a fresh (or given) KV file. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const dir = options.kvPath ? undefined : await Deno.makeTempDir({ prefix: "switchyard-ops-" });
  const kvPath = options.kvPath ?? `${dir}/state.kv`;
  const kv = await Deno.openKv(kvPath);
  const config = validateConfig(
    { accounts: [], groups: [], keys: [], ...options.config },
    () => undefined,
  );
  const logs: RequestLogEntry[] = [];
  const adminToken = options.adminToken === undefined
    ? ADMIN_TOKEN
    : options.adminToken ?? undefined;
  const gateway = await createGateway({
    config,
    kv,
    kvPath, // the hot path's file-change sentinel, as in production
    adminToken,
    secret: options.secret === undefined ? SECRET : options.secret ?? undefined,
    metricsToken: options.metricsToken,
    usageFlushMs: options.usageFlushMs ?? 60_000,
    logger: (entry) => logs.push(entry),
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => gateway.fetch(request),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    gateway,
    kv,
    kvPath,
    logs,
    admin: (method, path, body) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined
          ? undefined
          : typeof body === "string"
          ? body
          : JSON.stringify(body),
      }),
    async close() {
      await server.shutdown();
      await gateway.close(); // flushes usage, closes KV
      if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A request to the gateway's API with a client key. */
export function callApi(
  url: string,
  key: string,
  path: string,
  body: unknown,
  headers: HeadersInit = {},
): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Reads a JSON body. */
export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return await response.json() as T;
}

/**
 * Two mock OpenAI accounts for dashboard tests: `codex-1` (passthrough,
 * priority 1) answers like `oa-1` until `exhaust()` makes it answer the Codex
 * "usage limit reached" 403; `oa-1` (priority 2) always answers.
 */
export function exhaustibleAccounts(reply: string): {
  accounts: Record<string, unknown>[];
  /** Base URL of the always-healthy mock, for further accounts. */
  healthyUrl: string;
  exhaust(): void;
  close(): Promise<void>;
} {
  let exhausted = false;
  const codex = startMockUpstream(() =>
    exhausted
      ? mockJson(403, { error: { message: "usage limit reached", type: "forbidden_error" } })
      : mockJson(200, chatCompletion(reply))
  );
  const healthy = startMockUpstream(() => mockJson(200, chatCompletion(reply)));
  return {
    accounts: [
      {
        id: "codex-1",
        platform: "openai",
        passthrough: true,
        baseUrl: codex.url,
        apiKey: "sk-a",
        priority: 1,
      },
      { id: "oa-1", platform: "openai", baseUrl: healthy.url, apiKey: "sk-b", priority: 2 },
    ],
    healthyUrl: healthy.url,
    exhaust: () => exhausted = true,
    close: async () => {
      await codex.close();
      await healthy.close();
    },
  };
}
