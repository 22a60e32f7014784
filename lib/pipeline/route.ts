/**
 * Stage 1, route: which API a `/v1/*` request is for, and so which surface
 * answers it (the error shape), which platform's accounts serve it, and the
 * path to send upstream (`lib/protocols/api_route.ts`). A model listing
 * (`GET /v1/models`) with `anthropic-version` is Anthropic's.
 *
 * @module
 */

import type { Surface } from "../http/errors.ts";
import { type ApiRoute, routeApiPath } from "../protocols/api_route.ts";
import { isModelListing } from "../protocols/model_list.ts";

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
  const found = routeApiPath(url.pathname);
  if (!found) return null;
  // Both APIs list models at the same path; an Anthropic client says so with its version header.
  const anthropicListing = isModelListing(request.method, found.upstreamPath) &&
    request.headers.has("anthropic-version");
  const route: ApiRoute = anthropicListing
    ? { ...found, family: "anthropic", api: "Anthropic Models API" }
    : found;
  return { request, url, started, route, surface: route.family };
}
