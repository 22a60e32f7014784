/**
 * The gateway's one route table, in order: health checks, the API (the
 * request pipeline, `lib/pipeline/api.ts`), the admin API behind its gate,
 * metrics and the dashboard. Anything else is a 404.
 *
 * Every `/admin` path passes the admin gate first (404 with the admin API
 * off, 401 for a wrong token), including paths no admin route owns. The
 * token's digest is asked for per request: a first run's token lives in KV,
 * and a reset there reaches every process at once.
 * Before the gate, shared state is read so the admin sees other processes'
 * changes; a change made here (any non-`GET` that succeeded) is pushed to
 * open dashboards at once. Wrong or missing admin tokens are logged (never
 * the token) and slowed per client address (`admin/sign_in_throttle.ts`).
 * With `adminLoopbackOnly` (`SWITCHYARD_ADMIN=loopback`) the admin API and
 * the dashboard answer 404 to a peer that is not on a loopback address.
 * `/metrics` takes the admin token under the same rules (not off loopback
 * in that mode; wrong tokens logged and counted in the same throttle), and
 * `SWITCHYARD_METRICS_TOKEN` from anywhere.
 *
 * Every answer carries `x-content-type-options: nosniff`.
 *
 * `/healthz` answers 200 while the gateway serves: `{"status":"ok"}`, or
 * `{"status":"degraded","kv":{"reachable":false,"since":...}}` while the KV
 * does not answer (requests are then served from the last known state,
 * `docs/kv-outages.md`). An admin change made while the KV does not answer
 * gets a 503 in the admin error shape instead of waiting on the store.
 *
 * @module
 */

import { errorResponse } from "../http/errors.ts";
import { type KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { isLoopback } from "../http/loopback.ts";
import { logWarning } from "../log.ts";
import type { LiveHub } from "../observe/live_hub.ts";
import type { AccountStateStore } from "../accounts/health.ts";
import { type AccountsContext, resetAccount } from "./admin/accounts.ts";
import { testAccount } from "./admin/account_tests.ts";
import { alertRoutes } from "./admin/alerts.ts";
import type { Alerts } from "../observe/alerts.ts";
import type { AccountChecks } from "../failover/account_checks.ts";
import { type ConsoleContext, consoleRoutes } from "./admin/console.ts";
import { adminRefusal } from "./admin/guard.ts";
import { SignInThrottle } from "./admin/sign_in_throttle.ts";
import { type ManagementContext, managementRoutes } from "./admin/management.ts";
import { dashboardPage } from "./dashboard/route.ts";
import {
  type MetricsContext,
  metricsUnauthorized,
  presentedMetricsToken,
  serveMetrics,
} from "./metrics.ts";
import { type Client, matchRoute, type Route } from "./table.ts";

/** What the routes answer from. */
export interface RoutesContext {
  /** The request pipeline for `/v1/*`. */
  api(request: Request, url: URL): Promise<Response>;
  /** SHA-256 hex of the admin token now; `undefined` while the admin API is off. */
  adminDigest(): Promise<string | undefined>;
  states: AccountStateStore;
  /** Whether the KV answers: `/healthz` reports it, admin changes wait for it. */
  reach?: KvReachability;
  live: LiveHub;
  accounts: AccountsContext;
  /** Account tests (`POST /admin/accounts/{id}/test`). */
  checks: AccountChecks;
  /** Alert webhooks (`GET/PUT /admin/alerts`, `POST /admin/alerts/test`). */
  alerts: Alerts;
  management: ManagementContext;
  console: ConsoleContext;
  metrics: MetricsContext;
  /** `SWITCHYARD_ADMIN=loopback`: admin and dashboard only for peers on a loopback address. */
  adminLoopbackOnly?: boolean;
  /** Failed admin sign-ins per address (a fresh one by default). */
  throttle?: SignInThrottle;
}

/** The route table. */
export function gatewayRoutes(context: RoutesContext): Route[] {
  // One throttle: a guess at the admin token counts the same on /admin and /metrics.
  const throttle = context.throttle ?? new SignInThrottle();
  const admin = adminGate(context, throttle);
  const dashboard: Route["handle"] = async (_request, _url, _params, client) =>
    offLoopback(context, client) ??
      dashboardPage((await context.adminDigest()) !== undefined);
  return [
    { path: "/healthz", handle: () => Response.json(health(context.reach)) },
    // Claude Code checks connectivity with `HEAD /api/hello` at start.
    { path: "/api/hello", handle: () => new Response(null, { status: 200 }) },
    { path: "/v1/*", handle: (request, url) => context.api(request, url) },
    ...managementRoutes(context.management).map(admin),
    ...consoleRoutes(context.console).map(admin),
    ...alertRoutes(context.alerts).map(admin),
    admin({
      path: "/admin/accounts/:id/reset",
      handle: (request, _url, params) => resetAccount(request, params.id, context.accounts),
    }),
    admin({
      path: "/admin/accounts/:id/test",
      handle: (request, _url, params) =>
        testAccount(request, params.id, { ...context.accounts, checks: context.checks }),
    }),
    admin({ path: "/admin", handle: notFound }),
    admin({ path: "/admin/*", handle: notFound }),
    { path: "/metrics", handle: metricsGate(context, throttle) },
    { path: "/dashboard", handle: dashboard },
    { path: "/dashboard/", handle: dashboard },
  ];
}

/** Answers a request from the table; a path no route has is a 404. */
export function routeTable(
  routes: readonly Route[],
): (request: Request, client?: Client) => Promise<Response> {
  return async (request, client = {}) => {
    const url = new URL(request.url);
    const found = matchRoute(routes, url.pathname);
    const response = found
      ? await found.route.handle(request, url, found.params, client)
      : errorResponse("openai", 404, `unknown path ${url.pathname}`);
    return noSniff(response);
  };
}

/**
 * The response with `x-content-type-options: nosniff` (a copy when its headers
 * are immutable); a protocol switch (`101`, a WebSocket upgrade) is left as it is.
 */
function noSniff(response: Response): Response {
  if (response.status < 200) return response;
  try {
    response.headers.set("x-content-type-options", "nosniff");
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set("x-content-type-options", "nosniff");
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }
}

/** A 404 for a peer off loopback when the admin API is loopback-only; `null` otherwise. */
function offLoopback(context: RoutesContext, client: Client): Response | null {
  if (!context.adminLoopbackOnly || isLoopback(client.address)) return null;
  return errorResponse("openai", 404, "not found");
}

/** A 429 while the address waits after failed sign-ins; `null` when it may try. */
function throttled(throttle: SignInThrottle, address: string): Response | null {
  const wait = throttle.waitSeconds(address);
  if (wait <= 0) return null;
  return errorResponse("openai", 429, "too many failed admin sign-ins; try again later", {
    "retry-after": String(wait),
  });
}

/** Counts a wrong or missing token against the address and logs it (never the token). */
function signInFailed(
  throttle: SignInThrottle,
  message: string,
  address: string,
  path: string,
): void {
  const failures = throttle.failed(address);
  logWarning(message, { address, path, failures });
}

/** Puts a route behind the admin gate. */
function adminGate(context: RoutesContext, throttle: SignInThrottle): (route: Route) => Route {
  const { adminDigest, states, live } = context;
  return (route) => ({
    path: route.path,
    async handle(request, url, params, client) {
      const hidden = offLoopback(context, client);
      if (hidden) return hidden;
      const address = client.address ?? "unknown";
      const blocked = throttled(throttle, address);
      if (blocked) return blocked;
      const adminTokenDigest = await adminDigest();
      if (adminTokenDigest !== undefined) await states.current(); // see other processes' changes
      const refused = adminRefusal(request, adminTokenDigest);
      if (refused?.status === 401) {
        signInFailed(throttle, "admin sign-in failed", address, url.pathname);
        return refused;
      }
      if (!refused) throttle.succeeded(address);
      if (!refused && isChange(request) && context.reach?.reachable === false) return kvDown();
      let response: Response;
      try {
        response = refused ?? await route.handle(request, url, params, client);
      } catch (error) {
        if (error instanceof KvUnreachable) return kvDown();
        throw error;
      }
      if (request.method !== "GET" && response.ok) live.poke();
      return response;
    },
  });
}

/**
 * `/metrics`: the admin token where the admin gate would take it, the metrics
 * token from anywhere; 404 while neither may be used. Only the admin token
 * clears the address's failures: knowing the metrics token must not reset a
 * count of guesses at the admin token.
 */
function metricsGate(context: RoutesContext, throttle: SignInThrottle): Route["handle"] {
  return async (request, url, _params, client) => {
    const admin = offLoopback(context, client) ? undefined : await context.adminDigest();
    const tokens = { admin, metrics: context.metrics.metricsDigest };
    if (tokens.admin === undefined && tokens.metrics === undefined) return notFound();
    const address = client.address ?? "unknown";
    const blocked = throttled(throttle, address);
    if (blocked) return blocked;
    const presented = presentedMetricsToken(request, tokens);
    if (presented === undefined) {
      const message = admin === undefined ? "metrics sign-in failed" : "admin sign-in failed";
      signInFailed(throttle, message, address, url.pathname);
      return metricsUnauthorized();
    }
    if (presented === "admin") throttle.succeeded(address);
    return await serveMetrics(context.metrics);
  };
}

/** The body of `/healthz`. */
export function health(reach: KvReachability | undefined): Record<string, unknown> {
  if (!reach || reach.reachable) return { status: "ok" };
  // No error text: `/healthz` answers anyone, and the client's messages may name hosts.
  const { since } = reach.status();
  const kv: Record<string, unknown> = { reachable: false };
  if (since !== undefined) kv.since = new Date(since).toISOString();
  return { status: "degraded", kv };
}

function isChange(request: Request): boolean {
  return request.method !== "GET" && request.method !== "HEAD";
}

function kvDown(): Response {
  return errorResponse(
    "admin",
    503,
    "the KV store does not answer; changes are refused until it is back (GET /healthz shows it)",
    { "retry-after": "5" },
  );
}

function notFound(): Response {
  return errorResponse("openai", 404, "not found");
}
