/**
 * The gateway's request handler: a plain `(Request) => Promise<Response>`.
 * It authenticates the client key, routes the path to a provider, checks
 * that the key may reach it (inference endpoints, the group's `allowPaths`,
 * its own stored responses), plans the key's group's accounts from shared
 * health and hands the request to the failover loop. Everything stateful is
 * injected, so tests build gateways on a temporary KV with no globals.
 *
 * @module
 */

import type { AdminTokenStore } from "./admin/first_run.ts";
import { createOperator, type Operator } from "./admin/operator.ts";
import { handleAdmin } from "./admin/routes.ts";
import { presentedKey, sha256Hex } from "./auth/secrets.ts";
import { DEFAULT_PROBE_SECONDS } from "./config/defaults.ts";
import type { Account, Config } from "./config/types.ts";
import { ACCOUNT_HEADER, type AttemptRecord, type ProxyContext } from "./failover/proxy.ts";
import { BodyTooLargeError, readRequestBody } from "./http/body.ts";
import { errorResponse } from "./http/errors.ts";
import { corsPolicy } from "./http/cors.ts";
import { lazyRequestModel } from "./http/request_model.ts";
import { createsResponse } from "./providers/inference_paths.ts";
import { routeApiPath } from "./providers/routing.ts";
import { accountsFor, admitPath, admitReference, type Requester } from "./responses/access.ts";
import { ResponseOwners } from "./responses/owners.ts";
import { type Plan, planAttempts } from "./scheduling/scheduler.ts";
import { UsageClock } from "./scheduling/usage_clock.ts";
import { AccountStateStore } from "./state/account_state.ts";
import { FileChangeSentinel } from "./state/file_change_sentinel.ts";
import { type RequestLogger, requestLogger } from "./observe/request_log.ts";
import { planUsageInjection } from "./usage/stream_options.ts";
import { Pool, type PoolOptions } from "./pool/pool.ts";
import { SIGN_IN_GENERATION_KEY } from "./oauth/token_store.ts";

/** What a gateway is built from. */
export interface GatewayOptions {
  config: Config;
  kv: Deno.Kv;
  /** Admin API token; `undefined` (and no `adminTokens`) turns the admin API off. */
  adminToken?: string;
  /** The KV-stored admin token of a first run, used when `adminToken` is not given. */
  adminTokens?: AdminTokenStore;
  /** Path of a local KV file, which lets the hot path skip KV reads while nothing was written. */
  kvPath?: string;
  /** Where per-request log lines go; defaults to logtape (JSON lines once configured). */
  logger?: RequestLogger;
  /** Token that may read `/metrics` besides the admin token. */
  metricsToken?: string;
  /** `SWITCHYARD_SECRET`: encrypts refreshed OAuth tokens and account secrets stored through the API. */
  secret?: string;
  /** Pool tuning, for tests. */
  poolTuning?: PoolOptions["tuning"];
  /** Usage batch flush interval (default 1000 ms). */
  usageFlushMs?: number;
}

/** A running gateway. */
export interface Gateway {
  fetch(request: Request): Promise<Response>;
  readonly states: AccountStateStore;
  /** Keys/accounts/groups, usage, limits, metrics and the dashboard. */
  readonly ops: Operator;
  /** OAuth, sessions, concurrency and quota features. */
  readonly pool: Pool;
  /** Flushes batched usage, ends live dashboard streams and closes KV; call after the server has drained. */
  close(): Promise<void>;
}

/** Builds the request handler. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, kv } = options;
  const sentinel = options.kvPath ? new FileChangeSentinel(options.kvPath) : undefined;
  const states = new AccountStateStore(
    kv,
    () => config.failover.forbiddenStrikes,
    sentinel,
    () => config.failover.probeSeconds ?? DEFAULT_PROBE_SECONDS,
  );
  const clock = new UsageClock();
  const cors = corsPolicy(config.cors?.origins);
  const fixedDigest = options.adminToken ? sha256Hex(options.adminToken) : undefined;
  // A KV-stored token is read per admin request, so a reset reaches every process at once.
  const adminDigest = (): Promise<string | undefined> =>
    fixedDigest === undefined && options.adminTokens
      ? options.adminTokens.digest()
      : Promise.resolve(fixedDigest);
  const log = options.logger ?? requestLogger();
  const pool = await Pool.create({
    config,
    kv,
    secret: options.secret,
    tuning: options.poolTuning,
  });
  const ops = await createOperator({
    config,
    kv,
    states,
    log,
    adminDigest,
    metricsToken: options.metricsToken,
    secret: options.secret,
    usageFlushMs: options.usageFlushMs,
    quotas: pool.quotas,
  });
  // A new sign-in stored by any process replaces the tokens this one holds.
  states.watch(SIGN_IN_GENERATION_KEY, () => pool.oauth?.forget() ?? Promise.resolve());
  const owners = new ResponseOwners(kv);
  await states.current(); // Warm the snapshot so the first request pays no cold read.
  const proxy: ProxyContext = {
    policy: config.failover,
    states,
    credentialFor: (account) => account.apiKey,
    touch: (accountId) => clock.touch(accountId),
    hooks: pool.hooks,
    errorRules: () => ops.errorRules.rules(),
  };

  async function handleApi(request: Request, url: URL): Promise<Response> {
    const started = performance.now();
    const route = routeApiPath(url.pathname);
    if (!route) return errorResponse("openai", 404, `unknown path ${url.pathname}`);
    const surface = route.provider.surface;
    // The shared-state read (coalesced; skipped while the KV file is unchanged). It also
    // reloads keys/accounts/groups when they changed, so it comes before the key lookup:
    // a key revoked by any process is refused on the next request.
    const health = await states.current();
    const key = ops.directory.findKey(presentedKey(request.headers));
    const done = { request, path: url.pathname, started, surface, attempts: [] };
    if (!key) {
      await request.body?.cancel().catch(() => {});
      const response = errorResponse(surface, 401, "missing or invalid API key");
      return await ops.observer.observe({ ...done, key: null, response, outcome: "unauthorized" });
    }
    const who: Requester = {
      key: key.id,
      group: key.group,
      allowPaths: ops.directory.group(key.group)?.allowPaths,
      method: request.method,
      pathname: url.pathname,
      surface,
    };
    const admitted = await admitPath(owners, who);
    if (!admitted.ok) {
      await request.body?.cancel().catch(() => {});
      const { response } = admitted;
      return await ops.observer.observe({ ...done, key: key.id, response, outcome: "refused" });
    }
    const refusal = key.rpm !== undefined || key.dailyTokens !== undefined
      ? await ops.limits.admit(key)
      : null;
    if (refusal) {
      await request.body?.cancel().catch(() => {});
      const response = errorResponse(surface, 429, refusal.message, {
        "retry-after": String(refusal.retryAfter),
      });
      return await ops.observer.observe({ ...done, key: key.id, response, outcome: "limited" });
    }

    let body: Uint8Array<ArrayBuffer> | null;
    try {
      body = await readRequestBody(request, config.maxRequestBytes);
    } catch (error) {
      const response = error instanceof BodyTooLargeError
        ? errorResponse(surface, 413, error.message)
        : errorResponse(surface, 400, "could not read the request body");
      return await ops.observer.observe({ ...done, key: key.id, response, outcome: "rejected" });
    }
    const referenced = await admitReference(owners, who, body);
    if (!referenced.ok) {
      const { response } = referenced;
      return await ops.observer.observe({ ...done, key: key.id, response, outcome: "refused" });
    }

    const candidates = accountsFor(
      ops.directory.candidates(key.group, route.provider.platform),
      admitted.owner ?? referenced.owner,
    );
    if (candidates.length === 0) {
      // A configuration gap, not an outage: a status no client retries, naming what is missing.
      const response = errorResponse(
        surface,
        400,
        `group "${key.group}" has no account for the ${route.provider.api} ` +
          `(${request.method} ${url.pathname}); an operator can add one to the group`,
      );
      return await ops.observer.observe({ ...done, key: key.id, response, outcome: "unserved" });
    }
    const now = Date.now();
    const model = lazyRequestModel(body);
    const plan = planAttempts(candidates, health, (id) => clock.lastUsed(id), now, model);
    const probe = await claimProbe(plan);
    const attempts: AttemptRecord[] = [];
    const injection = surface === "openai" ? planUsageInjection(route.upstreamPath, body) : null;
    let response: Response;
    let outcome: string | undefined;
    if (probe || plan.kind === "ready") {
      const planned = plan.kind === "ready" ? plan.accounts : [];
      response = await pool.dispatch(proxy, {
        route,
        request,
        url,
        body,
        // A claimed probe rides along; the failover loop tries it first.
        accounts: probe ? [probe.account, ...planned] : planned,
        attempts,
        bodyFor: injection?.bodyFor,
        model,
        ...(probe ? { probe: { accountId: probe.account.id, claim: probe.claim } } : {}),
      }, key);
    } else if (plan.kind === "cooling" && plan.modelUnavailable) {
      response = errorResponse(
        surface,
        404,
        `model "${model()}" is not available on any account in this key's group`,
        {},
        "model_not_found",
      );
      outcome = "model_unavailable";
    } else if (plan.kind === "cooling") {
      const seconds = Math.max(1, Math.ceil((plan.retryAt - now) / 1000));
      response = errorResponse(
        surface,
        429,
        `every account is cooling down; retry in ${seconds}s`,
        {
          "retry-after": String(seconds),
        },
      );
      outcome = "cooling";
    } else {
      response = errorResponse(surface, 503, plan.reason);
      outcome = "unavailable";
    }
    const served = response.headers.get(ACCOUNT_HEADER);
    return await ops.observer.observe({
      ...done,
      key: key.id,
      response,
      attempts,
      outcome,
      injectedUsage: injection !== null,
      onResponseId: served && createsResponse(request.method, url.pathname)
        ? (id) => owners.remember(id, key.id, served)
        : undefined,
    });
  }

  /** Claims the planned probe, if one is due (one request across all processes gets it). */
  async function claimProbe(plan: Plan): Promise<{ account: Account; claim: string } | undefined> {
    if (!plan.probe) return undefined;
    const claim = await states.claimProbe(plan.probe.id).catch(() => undefined);
    return claim ? { account: plan.probe, claim } : undefined;
  }

  return {
    states,
    ops,
    pool,
    async close() {
      await pool.settled();
      await owners.settled();
      await ops.close();
      kv.close();
    },
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      if (url.pathname === "/healthz") return Response.json({ status: "ok" });
      // Claude Code checks connectivity with `HEAD /api/hello` at start.
      if (url.pathname === "/api/hello") return new Response(null, { status: 200 });
      if (url.pathname.startsWith("/v1/")) {
        const preflight = cors?.preflight(request);
        if (preflight) return preflight;
        const response = await handleApi(request, url);
        return cors ? cors.decorate(request, response) : response;
      }
      if (url.pathname === "/admin" || url.pathname.startsWith("/admin/")) {
        const tokenDigest = await adminDigest();
        if (tokenDigest !== undefined) await states.current(); // see other processes' changes
        const response = await handleAdmin(request, url, {
          tokenDigest,
          accounts: ops.directory.accounts(),
          states,
          quotas: pool.quotas,
          extra: ops.admin,
        });
        if (request.method !== "GET" && response.ok) ops.live.poke();
        return response;
      }
      const operator = ops.route(request, url);
      if (operator) return await operator;
      return errorResponse("openai", 404, `unknown path ${url.pathname}`);
    },
  };
}
