/**
 * `GET /metrics`: Prometheus text for the admin token or
 * `SWITCHYARD_METRICS_TOKEN`. Account gauges are filled from shared KV state
 * at scrape time. Which tokens a request may use is decided by the route
 * table (`routes.ts`): the admin token only where the admin gate would take
 * it (admin API on; with `SWITCHYARD_ADMIN=loopback`, a loopback peer), and
 * wrong tokens count in the admin sign-in throttle.
 *
 * @module
 */

import { constantTimeEqual, sha256Hex } from "../crypto/digest.ts";
import { errorResponse } from "../http/errors.ts";
import { presentedKey } from "../http/headers.ts";
import type { AccountStateRow, GatewayMetrics } from "../observe/metrics.ts";

/** What the metrics route needs. */
export interface MetricsContext {
  metrics: GatewayMetrics;
  /** SHA-256 digest of `SWITCHYARD_METRICS_TOKEN`, when it is set. */
  metricsDigest?: string;
  /** Every account's state row (as `GET /admin/accounts` has them). */
  rows(): Promise<readonly AccountStateRow[]>;
}

/** SHA-256 digests of the tokens one request to `/metrics` may use. */
export interface MetricsTokens {
  admin?: string;
  metrics?: string;
}

/** Which token the request carries: `"admin"`, `"metrics"`, or `undefined` for none of them. */
export function presentedMetricsToken(
  request: Request,
  tokens: MetricsTokens,
): "admin" | "metrics" | undefined {
  const presented = presentedKey(request.headers);
  if (!presented) return undefined;
  const digest = sha256Hex(presented);
  // Both compared, so the time taken does not tell which one came close.
  const admin = tokens.admin !== undefined && constantTimeEqual(digest, tokens.admin);
  const metrics = tokens.metrics !== undefined && constantTimeEqual(digest, tokens.metrics);
  return admin ? "admin" : metrics ? "metrics" : undefined;
}

/** The 401 for a wrong or missing token. */
export function metricsUnauthorized(): Response {
  return errorResponse("openai", 401, "invalid metrics token", {
    "www-authenticate": 'Bearer realm="switchyard"',
  });
}

/** The metrics text, for a request that carried an accepted token. */
export async function serveMetrics(context: MetricsContext): Promise<Response> {
  const text = context.metrics.render(await context.rows());
  return new Response(text, { headers: { "content-type": context.metrics.contentType } });
}
