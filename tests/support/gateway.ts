/**
 * The one gateway test harness: a validated config (from account specs, or a
 * whole config document), a KV file in a temporary directory (or a given one,
 * shared by several gateways as by several processes), `createGateway`
 * served by `Deno.serve` on a loopback port, and helpers to call the API and
 * the admin API. `await using` (or `close()`) tears it all down (server, KV,
 * temporary directory), so the test sanitizers stay on. Gateways in child
 * processes: `process.ts`.
 *
 * @module
 */

import type { AccountView } from "../../lib/routes/admin/accounts.ts";
import type { Config, Platform } from "../../lib/config/types.ts";
import { validateConfig } from "../../lib/config/validate.ts";
import { createGateway, type Gateway, type Tuning } from "../../lib/app.ts";
import type { RequestLogEntry } from "../../lib/observe/request_log.ts";
import { within } from "./async.ts";

/** The client key the fixture's default key `alice` presents. */
export const CLIENT_KEY = "sk-client-alice-0123456789";
/** The admin token the fixture configures unless told otherwise. */
export const ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef";
/** The `SWITCHYARD_SECRET` of tests that need one (OAuth accounts, accounts stored through the API). */
export const SECRET = "a-long-random-secret-for-tests-0123456789";

/** An account as a test describes it; the rest gets test defaults. */
export interface AccountSpec {
  id: string;
  /** The upstream's base URL, or a mock upstream (its URL + `/v1`). */
  upstream: string | { url: string };
  platform?: Platform;
  passthrough?: boolean;
  priority?: number;
  /** Defaults to `sk-upstream-<id>`. */
  apiKey?: string;
}

/** What a test gateway is built from. */
export interface GatewaySpec {
  /** Accounts as specs; or give a whole `config` document instead. */
  accounts?: AccountSpec[];
  /** A config document as written in a file (its `accounts`, `groups`, `keys` default to none). */
  config?: Record<string, unknown>;
  /** Defaults to one group `team` holding every account. */
  groups?: { id: string; accounts: string[]; allowPaths?: string[]; translate?: boolean }[];
  /** Defaults to key `alice` ({@linkcode CLIENT_KEY}) in the first group. */
  keys?: { id: string; key: string; group: string }[];
  failover?: Record<string, unknown>;
  /** The config's `errorRules`, as written in the file. */
  errorRules?: unknown[];
  maxRequestBytes?: number;
  /** `null` turns the admin API off. */
  adminToken?: string | null;
  /** A KV file to use (and keep); by default a fresh one in a temporary directory. */
  kvPath?: string;
  /** `SWITCHYARD_SECRET`; none by default. */
  secret?: string | null;
  /** `SWITCHYARD_METRICS_TOKEN`. */
  metricsToken?: string;
  /** How often usage batches are written (default 1 s). */
  usageFlushMs?: number;
  /** Queue and lease timings. */
  tuning?: Tuning;
  /** The config's `websocket` limits, as written in the file. */
  websocket?: Record<string, unknown>;
}

/** Per-request options of {@linkcode TestGateway.api}. */
export interface ApiInit extends RequestInit {
  /** Sent as `Authorization: Bearer`; `null` sends no key. Defaults to {@linkcode CLIENT_KEY}. */
  key?: string | null;
  /** Sent as a JSON body (POST unless `method` says otherwise). */
  json?: unknown;
}

/** Per-request options of {@linkcode TestGateway.admin}. */
export interface AdminInit extends RequestInit {
  /** The admin token to send; `null` sends none. Defaults to the configured one. */
  token?: string | null;
  /** Sent as a JSON body; a string is sent as it is (for malformed bodies). */
  json?: unknown;
}

/** A running gateway under test. */
export interface TestGateway extends AsyncDisposable {
  /** e.g. `http://127.0.0.1:41234`. */
  url: string;
  config: Config;
  gateway: Gateway;
  kv: Deno.Kv;
  kvPath: string;
  /** Headers of every request as it reached the gateway's handler. */
  received: Headers[];
  /** Every request as `METHOD /path?query` with the status the gateway answered, in order. */
  requests: { line: string; status: number }[];
  /** The gateway's request log. */
  log: RequestLogEntry[];
  /** Calls the gateway's API. */
  api(path: string, init?: ApiInit): Promise<Response>;
  /** Calls the admin API with the configured token (or `token`). */
  admin(path: string, init?: AdminInit): Promise<Response>;
  /** `GET /admin/accounts`, each row reduced by {@linkcode coreView}. */
  accounts(): Promise<AccountView[]>;
  /** One row of `GET /admin/accounts`, reduced by {@linkcode coreView}. */
  account(id: string): Promise<AccountView>;
  /** The same as `await using` at the end of the scope. */
  close(): Promise<void>;
}

/**
 * An admin account row reduced to the fields issue 2 specifies
 * (`id, platform, state, until?, reason?, strikes`); later features may add
 * more, which these tests neither require nor forbid.
 */
export function coreView(row: Record<string, unknown>): AccountView {
  const view: Record<string, unknown> = {};
  for (const field of ["id", "platform", "state", "until", "reason", "strikes"]) {
    if (row[field] !== undefined) view[field] = row[field];
  }
  return view as unknown as AccountView;
}

/** Builds the config document a spec describes (before validation). */
export function configDocument(spec: GatewaySpec): Record<string, unknown> {
  if (spec.config) return { accounts: [], groups: [], keys: [], ...spec.config };
  const specs = spec.accounts ?? [];
  const ids = specs.map((account) => account.id);
  const groups = spec.groups ?? [{ id: "team", accounts: ids }];
  const document: Record<string, unknown> = {
    accounts: specs.map((account) => ({
      id: account.id,
      platform: account.platform ?? "openai",
      baseUrl: typeof account.upstream === "string"
        ? account.upstream
        : `${account.upstream.url}/v1`,
      apiKey: account.apiKey ?? `sk-upstream-${account.id}`,
      ...(account.passthrough !== undefined ? { passthrough: account.passthrough } : {}),
      ...(account.priority !== undefined ? { priority: account.priority } : {}),
    })),
    groups,
    keys: spec.keys ?? [{ id: "alice", key: CLIENT_KEY, group: groups[0].id }],
  };
  if (spec.failover) document.failover = spec.failover;
  if (spec.errorRules) document.errorRules = spec.errorRules;
  if (spec.maxRequestBytes !== undefined) document.maxRequestBytes = spec.maxRequestBytes;
  if (spec.websocket) document.websocket = spec.websocket;
  return document;
}

/** Starts a gateway on a fresh KV file. Use with `await using`. */
export async function startGateway(spec: GatewaySpec): Promise<TestGateway> {
  const config = validateConfig(configDocument(spec), () => undefined);
  const dir = spec.kvPath ? undefined : await Deno.makeTempDir({ prefix: "switchyard-test-" });
  const kvPath = spec.kvPath ?? `${dir}/state.kv`;
  const kv = await Deno.openKv(kvPath);
  const adminToken = spec.adminToken === undefined ? ADMIN_TOKEN : spec.adminToken ?? undefined;
  const log: RequestLogEntry[] = [];
  const gateway = await createGateway({
    config,
    kv,
    // As `main.ts` does for a local file: the hot path's file-change check is under test too.
    // A KV Connect URL (a shared remote KV) has no file to watch.
    kvPath: /^https?:\/\//.test(kvPath) ? undefined : kvPath,
    kvLocation: kvPath,
    adminToken,
    secret: spec.secret ?? undefined,
    metricsToken: spec.metricsToken,
    usageFlushMs: spec.usageFlushMs,
    tuning: spec.tuning,
    logger: (entry) => log.push(entry),
  });
  const received: Headers[] = [];
  const requests: { line: string; status: number }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request, info) => {
      received.push(new Headers(request.headers));
      const { pathname, search } = new URL(request.url);
      const response = await gateway.fetch(request, info);
      requests.push({ line: `${request.method} ${pathname}${search}`, status: response.status });
      return response;
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}`;

  async function admin(path: string, init: AdminInit = {}): Promise<Response> {
    const { token = adminToken, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    let body = rest.body;
    if (json !== undefined) {
      body = typeof json === "string" ? json : JSON.stringify(json);
      headers.set("content-type", "application/json");
    }
    return await fetch(`${url}${path}`, { ...rest, headers, body });
  }

  async function close(): Promise<void> {
    // Bounded: a request stuck inside the gateway fails the test instead of hanging the run.
    await within(server.shutdown(), "the gateway to finish its requests and shut down");
    await gateway.close();
    if (dir) await Deno.remove(dir, { recursive: true });
  }

  async function accounts(): Promise<AccountView[]> {
    const response = await admin("/admin/accounts");
    if (response.status !== 200) {
      throw new Error(`GET /admin/accounts: ${response.status} ${await response.text()}`);
    }
    return (await response.json()).map(coreView);
  }

  return {
    url,
    config,
    gateway,
    kv,
    kvPath,
    received,
    requests,
    log,
    api: (path, init) => callApi(url, path, init),
    admin,
    accounts,
    async account(id) {
      const row = (await accounts()).find((view) => view.id === id);
      if (!row) throw new Error(`no account ${id} in /admin/accounts`);
      return row;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Calls the API of the gateway at `url` (in this process or another) as a client. */
export async function callApi(url: string, path: string, init: ApiInit = {}): Promise<Response> {
  const { key = CLIENT_KEY, json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null) headers.set("authorization", `Bearer ${key}`);
  let body = rest.body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const method = rest.method ?? (body !== undefined && body !== null ? "POST" : "GET");
  return await fetch(`${url}${path}`, { ...rest, method, headers, body });
}

/** A response's JSON body, typed by the caller. */
export async function readJson<T = Record<string, unknown>>(response: Response): Promise<T> {
  return await response.json() as T;
}

/** A chat-completions request body. */
export function chatRequest(content = "ping", extra: Record<string, unknown> = {}): unknown {
  return { model: "gpt-test", messages: [{ role: "user", content }], ...extra };
}

/** An Anthropic messages request body. */
export function messagesRequest(content = "ping", extra: Record<string, unknown> = {}): unknown {
  return {
    model: "claude-test",
    max_tokens: 64,
    messages: [{ role: "user", content }],
    ...extra,
  };
}

/** A temporary directory with a KV file path in it, for gateways that share one KV. */
export async function tempKvPath(): Promise<
  { dir: string; path: string; cleanup(): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-test-" });
  return {
    dir,
    path: `${dir}/state.kv`,
    cleanup: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/**
 * A config document with one group `team` holding `accounts` (written as in
 * a config file) and the key `tester` ({@linkcode CLIENT_KEY}).
 */
export function configDoc(
  accounts: Record<string, unknown>[],
  extra: {
    group?: Record<string, unknown>;
    key?: Record<string, unknown>;
    root?: Record<string, unknown>;
  } = {},
): Record<string, unknown> {
  return {
    accounts,
    groups: [{ id: "team", accounts: accounts.map((a) => a.id), ...extra.group }],
    keys: [{ id: "tester", key: CLIENT_KEY, group: "team", ...extra.key }],
    ...extra.root,
  };
}

/** `GET /admin/accounts` of the gateway at `url` (another process, say), rows as they are. */
export async function adminAccounts(url: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${url}/admin/accounts`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return await response.json();
}
