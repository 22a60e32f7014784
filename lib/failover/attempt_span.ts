/**
 * OpenTelemetry spans for upstream attempts. With `OTEL_DENO=true`, Deno
 * traces every `Deno.serve` request and every `fetch` by itself and wires
 * `@opentelemetry/api` to its exporter. The gateway adds one
 * `switchyard.attempt` span per upstream attempt, as a child of the request
 * span and the parent of that attempt's `fetch` span, carrying the account id,
 * the attempt number and the upstream status. Without `OTEL_DENO` the loop
 * does not call it, and the API would be a no-op anyway.
 *
 * @module
 */

import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { AttemptResult } from "./attempt.ts";

const tracer = trace.getTracer("switchyard");

/**
 * Runs one upstream attempt inside a `switchyard.attempt` span. Deno wires the
 * API to an exporter only under `OTEL_DENO=true`, so start-up reads that
 * setting and the loop calls this only then (see `lib/boot.ts`).
 */
export function withAttemptSpan(
  accountId: string,
  attempt: number,
  send: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
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
