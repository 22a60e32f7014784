/**
 * `GET /metrics`: Prometheus text for the admin token or
 * `SWITCHYARD_METRICS_TOKEN` (404 when neither is set; 401 for any other
 * token). Account gauges are filled from shared KV state at scrape time.
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
  /** SHA-256 digests of the tokens that may read metrics now (the admin token may be reset). */
  tokenDigests(): Promise<readonly string[]>;
  /** Every account's state row (as `GET /admin/accounts` has them). */
  rows(): Promise<readonly AccountStateRow[]>;
}

/** Answers `/metrics`. */
export async function serveMetrics(request: Request, context: MetricsContext): Promise<Response> {
  const allowed = await context.tokenDigests();
  if (allowed.length === 0) return errorResponse("openai", 404, "not found");
  const presented = presentedKey(request.headers);
  const digest = presented ? sha256Hex(presented) : "";
  if (!allowed.some((expected) => constantTimeEqual(digest, expected))) {
    return errorResponse("openai", 401, "invalid metrics token", {
      "www-authenticate": 'Bearer realm="switchyard"',
    });
  }
  const text = context.metrics.render(await context.rows());
  return new Response(text, { headers: { "content-type": context.metrics.contentType } });
}
