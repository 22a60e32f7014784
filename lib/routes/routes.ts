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
 * open dashboards at once.
 *
 * @module
 */

import { errorResponse } from "../http/errors.ts";
import type { LiveHub } from "../observe/live_hub.ts";
import type { AccountStateStore } from "../accounts/health.ts";
import { type AccountsContext, resetAccount } from "./admin/accounts.ts";
import { testAccount } from "./admin/account_tests.ts";
import { alertRoutes } from "./admin/alerts.ts";
import type { Alerts } from "../observe/alerts.ts";
import type { AccountChecks } from "../failover/account_checks.ts";
import { type ConsoleContext, consoleRoutes } from "./admin/console.ts";
import { adminRefusal } from "./admin/guard.ts";
import { type ManagementContext, managementRoutes } from "./admin/management.ts";
import { dashboardPage } from "./dashboard/route.ts";
import { type MetricsContext, serveMetrics } from "./metrics.ts";
import { matchRoute, type Route } from "./table.ts";

/** What the routes answer from. */
export interface RoutesContext {
  /** The request pipeline for `/v1/*`. */
  api(request: Request, url: URL): Promise<Response>;
  /** SHA-256 hex of the admin token now; `undefined` while the admin API is off. */
  adminDigest(): Promise<string | undefined>;
  states: AccountStateStore;
  live: LiveHub;
  accounts: AccountsContext;
  /** Account tests (`POST /admin/accounts/{id}/test`). */
  checks: AccountChecks;
  /** Alert webhooks (`GET/PUT /admin/alerts`, `POST /admin/alerts/test`). */
  alerts: Alerts;
  management: ManagementContext;
  console: ConsoleContext;
  metrics: MetricsContext;
}

/** The route table. */
export function gatewayRoutes(context: RoutesContext): Route[] {
  const admin = adminGate(context);
  const dashboard = async () => dashboardPage((await context.adminDigest()) !== undefined);
  return [
    { path: "/healthz", handle: () => Response.json({ status: "ok" }) },
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
    { path: "/metrics", handle: (request) => serveMetrics(request, context.metrics) },
    { path: "/dashboard", handle: dashboard },
    { path: "/dashboard/", handle: dashboard },
  ];
}

/** Answers a request from the table; a path no route has is a 404. */
export function routeTable(routes: readonly Route[]): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const found = matchRoute(routes, url.pathname);
    if (!found) return errorResponse("openai", 404, `unknown path ${url.pathname}`);
    return await found.route.handle(request, url, found.params);
  };
}

/** Puts a route behind the admin gate. */
function adminGate(context: RoutesContext): (route: Route) => Route {
  const { adminDigest, states, live } = context;
  return (route) => ({
    path: route.path,
    async handle(request, url, params) {
      const adminTokenDigest = await adminDigest();
      if (adminTokenDigest !== undefined) await states.current(); // see other processes' changes
      const response = adminRefusal(request, adminTokenDigest) ??
        await route.handle(request, url, params);
      if (request.method !== "GET" && response.ok) live.poke();
      return response;
    },
  });
}

function notFound(): Response {
  return errorResponse("openai", 404, "not found");
}
