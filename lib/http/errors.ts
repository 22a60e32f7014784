/**
 * The gateway's errors and their one mapping to responses.
 *
 * Each surface answers in its own shape, so an SDK parses the gateway's
 * errors the same way as the upstream's: OpenAI
 * `{"error":{"message","type","param","code"}}` and Anthropic
 * `{"type":"error","error":{"type","message"}}`. The admin API answers in the
 * OpenAI shape with its own error types (`not_found_error`,
 * `conflict_error`) and a `param` naming the field at fault.
 *
 * Code that cannot answer by itself throws or returns an
 * {@linkcode HttpError} (as Fresh and Hono's `HTTPException` do), and
 * {@linkcode errorResponse} turns it into the response; {@linkcode errorEvent}
 * writes the same body as an SSE `error` event for a stream already under way.
 *
 * @module
 */

import type { ApiFamily } from "../config/types.ts";
import { sseEvent } from "./sse.ts";

/**
 * The API family a client speaks, which decides the error shape. It has the
 * same two values as an account's `Platform`: today a request is always
 * served by accounts of its own surface's platform.
 */
export type Surface = ApiFamily;

/** Who the error is for: a client of one surface, or the admin API. */
export type ErrorShape = Surface | "admin";

/** Details of an {@linkcode HttpError}. */
export interface HttpErrorOptions {
  /** Overrides the shape's default code (OpenAI shape only). */
  code?: string;
  /** The request field at fault (OpenAI and admin shapes). */
  param?: string;
  headers?: HeadersInit;
}

/** An error that becomes an HTTP answer in the caller's shape. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly options: HttpErrorOptions = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

const OPENAI_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  403: ["permission_error", null],
  404: ["invalid_request_error", "not_found"],
  405: ["invalid_request_error", "method_not_allowed"],
  408: ["invalid_request_error", "request_timeout"],
  413: ["invalid_request_error", "request_too_large"],
  429: ["rate_limit_error", "rate_limit_exceeded"],
  502: ["server_error", "upstream_unreachable"],
  503: ["server_error", "no_available_accounts"],
};

const ANTHROPIC_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  408: "invalid_request_error",
  413: "request_too_large",
  429: "rate_limit_error",
  502: "api_error",
  503: "overloaded_error",
};

const ADMIN_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  404: "not_found_error",
  405: "invalid_request_error",
  409: "conflict_error",
};

/** The error body in `shape`. */
export function errorBody(shape: ErrorShape, error: HttpError): Record<string, unknown> {
  const { status, message, options } = error;
  switch (shape) {
    case "anthropic":
      return { type: "error", error: { type: ANTHROPIC_TYPES[status] ?? "api_error", message } };
    case "openai":
      return {
        error: {
          message,
          type: OPENAI_TYPES[status]?.[0] ?? "server_error",
          param: options.param ?? null,
          code: options.code ?? OPENAI_TYPES[status]?.[1] ?? null,
        },
      };
    case "admin":
      return {
        error: {
          message,
          type: ADMIN_TYPES[status] ?? "server_error",
          param: options.param ?? null,
          code: null,
        },
      };
  }
}

/** The response for `error` in `shape`. */
export function httpErrorResponse(shape: ErrorShape, error: HttpError): Response {
  const headers = new Headers(error.options.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(errorBody(shape, error)), { status: error.status, headers });
}

/** Builds an error response in the surface's shape; `code` overrides OpenAI's default code. */
export function errorResponse(
  surface: ErrorShape,
  status: number,
  message: string,
  headers?: HeadersInit,
  code?: string,
): Response {
  return httpErrorResponse(surface, new HttpError(status, message, { headers, code }));
}

/** The error as an SSE `error` event, for a stream whose status already went out. */
export function errorEvent(surface: Surface, status: number, message: string): string {
  return sseEvent(
    JSON.stringify({ type: "error", ...errorBody(surface, new HttpError(status, message)) }),
    "error",
  );
}

/** Why an answer already under way broke off, when it was no fault of the gateway's. */
export type BrokenAnswer = "upstream-cut" | "client-gone";

/**
 * What an error `Deno.serve` hands to `onError` once an answer's body is
 * streaming means: the upstream broke off mid-body (the client's stream ends
 * with an error, as it must), or the client went away; `undefined` for
 * anything else, which is a fault to report.
 */
export function brokenAnswer(error: unknown): BrokenAnswer | undefined {
  if (!(error instanceof Error)) return undefined;
  if (/error reading a body from connection|connection (closed|reset)/i.test(error.message)) {
    return "upstream-cut";
  }
  if (error.name === "AbortError" && /cancelled|aborted/i.test(error.message)) {
    return "client-gone";
  }
  return undefined;
}
