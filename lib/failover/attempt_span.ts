/**
 * OpenTelemetry spans for upstream attempts. With `OTEL_DENO=true`, Deno
 * traces every `Deno.serve` request and every `fetch` by itself and wires
 * `@opentelemetry/api` to its exporter. The gateway adds one
 * `switchyard.attempt` span per upstream attempt, as a child of the request
 * span and the parent of that attempt's `fetch` span, carrying the account id,
 * the attempt number and the upstream status. Without `OTEL_DENO` the API is a
 * no-op and this costs next to nothing.
 *
 * @module
 */

import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { AttemptResult } from "./attempt.ts";

const tracer = trace.getTracer("switchyard");
/** Deno wires the API to an exporter only under `OTEL_DENO=true`; otherwise spans are skipped. */
const TRACING = (() => {
  try {
    return Deno.env.get("OTEL_DENO") === "true";
  } catch {
    return false;
  }
})();

/** Runs one upstream attempt inside a `switchyard.attempt` span. */
export function withAttemptSpan(
  accountId: string,
  attempt: number,
  send: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
  if (!TRACING) return send();
  return tracer.startActiveSpan(
    "switchyard.attempt",
    {
      kind: SpanKind.INTERNAL,
      attributes: { "switchyard.account": accountId, "switchyard.attempt": attempt },
    },
    async (span) => {
      try {
        const result = await send();
        if (result.kind === "response") {
          span.setAttribute("http.response.status_code", result.response.status);
          if (result.response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
        } else {
          span.setAttribute("switchyard.result", result.kind);
          if (result.kind === "unreachable") {
            span.setStatus({ code: SpanStatusCode.ERROR, message: result.detail });
          }
        }
        return result;
      } finally {
        span.end();
      }
    },
  );
}
