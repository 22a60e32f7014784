/**
 * The gateway's one route table, in order: health checks, the API (the
 * request pipeline, `lib/pipeline/api.ts`), the admin API behind its gate,
 * metrics and the dashboard. Anything else is a 404.
 *
 * Every `/admin` path passes the admin gate first (404 with no admin token
 * configured, 401 for a wrong token), including paths no admin route owns.
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
import { adminRefusal } from "./admin/guard.ts";
import { type ManagementContext, managementRoutes } from "./admin/management.ts";
import { dashboardPage } from "./dashboard/route.ts";
import { type MetricsContext, serveMetrics } from "./metrics.ts";
import { matchRoute, type Route } from "./table.ts";

/** What the routes answer from. */
export interface RoutesContext {
  /** The request pipeline for `/v1/*`. */
  api(request: Request, url: URL): Promise<Response>;
  /** SHA-256 hex of the admin token; `undefined` turns the admin API off. */
  adminTokenDigest?: string;
  states: AccountStateStore;
  live: LiveHub;
  accounts: AccountsContext;
  management: ManagementContext;
  metrics: MetricsContext;
}

/** The route table. */
export function gatewayRoutes(context: RoutesContext): Route[] {
  const admin = adminGate(context);
  return [
    { path: "/healthz", handle: () => Response.json({ status: "ok" }) },
    // Claude Code checks connectivity with `HEAD /api/hello` at start.
    { path: "/api/hello", handle: () => new Response(null, { status: 200 }) },
    { path: "/v1/*", handle: (request, url) => context.api(request, url) },
    ...managementRoutes(context.management).map(admin),
    admin({
      path: "/admin/accounts/:id/reset",
      handle: (request, _url, params) => resetAccount(request, params.id, context.accounts),
    }),
    admin({ path: "/admin", handle: notFound }),
    admin({ path: "/admin/*", handle: notFound }),
    { path: "/metrics", handle: (request) => serveMetrics(request, context.metrics) },
    { path: "/dashboard", handle: dashboardPage },
    { path: "/dashboard/", handle: dashboardPage },
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
  const { adminTokenDigest, states, live } = context;
  return (route) => ({
    path: route.path,
    async handle(request, url, params) {
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
