/**
 * CORS for `/v1/*`, so browser-based clients can call the gateway: the
 * config's `cors.origins` (none by default) get preflights answered and their
 * responses marked readable. Nothing changes for a request without an
 * `Origin` header (every SDK and CLI outside a browser), and with no origins
 * configured the gateway answers exactly as before.
 *
 * Credentials are client keys in a header, never cookies, so the allowed
 * origin is echoed without `Access-Control-Allow-Credentials`.
 *
 * @module
 */

import { errorResponse } from "./errors.ts";

/** Answers preflights and marks responses for the allowed origins. */
export interface CorsPolicy {
  /** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), or `null`. */
  preflight(request: Request): Response | null;
  /** The response, readable by the requesting origin when it is allowed. */
  decorate(request: Request, response: Response): Response;
}

/** How long a browser may reuse a preflight answer. */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** A policy for `origins` (exact origins or `"*"`), or `undefined` when there are none. */
export function corsPolicy(origins: readonly string[] | undefined): CorsPolicy | undefined {
  if (!origins || origins.length === 0) return undefined;
  const any = origins.includes("*");
  const allowed = (origin: string | null): origin is string =>
    origin !== null && (any || origins.includes(origin));
  return {
    preflight(request) {
      if (request.method !== "OPTIONS") return null;
      if (!request.headers.has("access-control-request-method")) return null;
      const origin = request.headers.get("origin");
      if (!allowed(origin)) {
        return errorResponse("openai", 403, "this origin may not call the gateway (cors.origins)");
      }
      const headers = new Headers({
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
        "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
        vary: "Origin, Access-Control-Request-Headers",
      });
      // The SDKs send their own headers (anthropic-version, x-stainless-*): allow what is asked.
      const asked = request.headers.get("access-control-request-headers");
      if (asked) headers.set("access-control-allow-headers", asked);
      return new Response(null, { status: 204, headers });
    },
    decorate(request, response) {
      const origin = request.headers.get("origin");
      if (!allowed(origin)) return response;
      const headers = new Headers(response.headers);
      headers.set("access-control-allow-origin", origin);
      headers.set("access-control-expose-headers", "*");
      headers.append("vary", "Origin");
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    },
  };
}
