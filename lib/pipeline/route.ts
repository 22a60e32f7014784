/**
 * Stage 1, route: which API a `/v1/*` request is for, and so which surface
 * answers it (the error shape), which platform's accounts serve it, and the
 * path to send upstream (`lib/protocols/api_route.ts`).
 *
 * @module
 */

import type { Surface } from "../http/errors.ts";
import { type ApiRoute, routeApiPath } from "../protocols/api_route.ts";

/** A request as it arrived, with what the route stage found out. */
export interface Arrival {
  request: Request;
  url: URL;
  /** `performance.now()` when the request arrived. */
  started: number;
  route: ApiRoute;
  surface: Surface;
}

/** Routes an API request; `null` for a path outside `/v1/`. */
export function routeRequest(request: Request, url: URL, started: number): Arrival | null {
  const route = routeApiPath(url.pathname);
  if (!route) return null;
  return { request, url, started, route, surface: route.family };
}
