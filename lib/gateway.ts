/**
 * The gateway's request handler: a plain `(Request) => Promise<Response>`.
 * It authenticates the client key, routes the path to a provider, plans the
 * key's group's accounts from shared health and hands the request to the
 * failover loop. Everything stateful is injected, so tests build gateways on
 * a temporary KV with no globals.
 *
 * @module
 */

import { handleAdmin } from "./admin/routes.ts";
import { KeyRing } from "./auth/client_keys.ts";
import { presentedKey, sha256Hex } from "./auth/secrets.ts";
import type { Account, Config, Platform } from "./config/types.ts";
import type { AttemptRecord, ProxyContext } from "./failover/proxy.ts";
import { BodyTooLargeError, readRequestBody } from "./http/body.ts";
import { errorResponse } from "./http/errors.ts";
import { routeApiPath } from "./providers/routing.ts";
import { planAttempts } from "./scheduling/scheduler.ts";
import { UsageClock } from "./scheduling/usage_clock.ts";
import { AccountStateStore } from "./state/account_state.ts";
import { FileChangeSentinel } from "./state/file_change_sentinel.ts";
import { type RequestLogger, requestLogger } from "./observe/request_log.ts";
import { Pool, type PoolOptions } from "./pool/pool.ts";

/** What a gateway is built from. */
export interface GatewayOptions {
  config: Config;
  kv: Deno.Kv;
  /** Admin API token; `undefined` turns the admin API off. */
  adminToken?: string;
  /** Path of a local KV file, which lets the hot path skip KV reads while nothing was written. */
  kvPath?: string;
  /** Where per-request log lines go; defaults to JSON on stdout. */
  logger?: RequestLogger;
  /** `SWITCHYARD_SECRET`, which encrypts refreshed OAuth tokens; required with OAuth accounts. */
  secret?: string;
  /** Pool tuning, for tests. */
  poolTuning?: PoolOptions["tuning"];
}

/** A running gateway. */
export interface Gateway {
  fetch(request: Request): Promise<Response>;
  readonly states: AccountStateStore;
  /** OAuth, sessions, concurrency and quota features. */
  readonly pool?: Pool;
  /** Flushes what is pending and closes KV; call after the server has drained. */
  close(): Promise<void>;
}

/** Builds the request handler. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, kv } = options;
  const keys = KeyRing.of(config.keys);
  const sentinel = options.kvPath ? new FileChangeSentinel(options.kvPath) : undefined;
  const states = new AccountStateStore(kv, () => config.failover.forbiddenStrikes, sentinel);
  await states.current(); // Warm the snapshot so the first request pays no cold read.
  const clock = new UsageClock();
  const candidatesByGroup = indexGroups(config);
  const adminTokenDigest = options.adminToken ? sha256Hex(options.adminToken) : undefined;
  const log = options.logger ?? requestLogger();
  const pool = await Pool.create({
    config,
    kv,
    secret: options.secret,
    tuning: options.poolTuning,
  });
  const proxy: ProxyContext = {
    policy: config.failover,
    states,
    credentialFor: (account) => account.apiKey,
    touch: (accountId) => clock.touch(accountId),
    hooks: pool.hooks,
  };

  async function handleApi(request: Request, url: URL): Promise<Response> {
    const started = performance.now();
    const route = routeApiPath(url.pathname);
    if (!route) return errorResponse("openai", 404, `unknown path ${url.pathname}`);
    const surface = route.provider.surface;
    // Start the shared-state read now so it overlaps key lookup and body reading.
    const health = states.current();
    health.catch(() => {});
    const key = keys.find(presentedKey(request.headers));
    if (!key) {
      await request.body?.cancel().catch(() => {});
      return errorResponse(surface, 401, "missing or invalid API key");
    }

    let body: Uint8Array<ArrayBuffer> | null;
    try {
      body = await readRequestBody(request, config.maxRequestBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return errorResponse(surface, 413, error.message);
      return errorResponse(surface, 400, "could not read the request body");
    }

    const candidates = candidatesByGroup.get(key.group)?.[route.provider.platform] ?? [];
    const now = Date.now();
    const plan = planAttempts(candidates, await health, (id) => clock.lastUsed(id), now);
    const attempts: AttemptRecord[] = [];
    let response: Response;
    if (plan.kind === "cooling") {
      const seconds = Math.max(1, Math.ceil((plan.retryAt - now) / 1000));
      response = errorResponse(
        surface,
        429,
        `every account is cooling down; retry in ${seconds}s`,
        {
          "retry-after": String(seconds),
        },
      );
    } else if (plan.kind === "unavailable") {
      response = errorResponse(surface, 503, plan.reason);
    } else {
      response = await pool.dispatch(proxy, {
        route,
        request,
        url,
        body,
        accounts: plan.accounts,
        attempts,
      }, key);
    }
    log({
      key: key.id,
      method: request.method,
      path: url.pathname,
      status: response.status,
      attempts,
      ms: Math.round((performance.now() - started) * 100) / 100,
    });
    return response;
  }

  return {
    states,
    pool,
    async close() {
      await pool.settled();
      kv.close();
    },
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      if (url.pathname === "/healthz") return Response.json({ status: "ok" });
      if (url.pathname.startsWith("/v1/")) return await handleApi(request, url);
      if (url.pathname === "/admin" || url.pathname.startsWith("/admin/")) {
        return await handleAdmin(request, url, {
          tokenDigest: adminTokenDigest,
          accounts: config.accounts,
          states,
          quotas: pool.quotas,
        });
      }
      return errorResponse("openai", 404, `unknown path ${url.pathname}`);
    },
  };
}

/** Each group's accounts, split by platform, in config order. */
function indexGroups(config: Config): Map<string, Record<Platform, Account[]>> {
  const byId = new Map(config.accounts.map((account) => [account.id, account]));
  const index = new Map<string, Record<Platform, Account[]>>();
  for (const group of config.groups) {
    const split: Record<Platform, Account[]> = { openai: [], anthropic: [] };
    for (const id of group.accounts) {
      const account = byId.get(id);
      if (account) split[account.platform].push(account);
    }
    index.set(group.id, split);
  }
  return index;
}
