/**
 * Error responses in each client surface's own shape, so an SDK parses the
 * gateway's errors the same way as the upstream's: OpenAI
 * `{"error":{"message","type","param","code"}}` and Anthropic
 * `{"type":"error","error":{"type","message"}}`.
 *
 * @module
 */

/** The API family a client speaks; decides the error shape. */
export type Surface = "openai" | "anthropic";

const OPENAI_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  403: ["permission_error", null],
  404: ["invalid_request_error", "not_found"],
  405: ["invalid_request_error", "method_not_allowed"],
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
  413: "request_too_large",
  429: "rate_limit_error",
  502: "api_error",
  503: "overloaded_error",
};

/** Builds an error response in the surface's shape; `code` overrides OpenAI's default code. */
export function errorResponse(
  surface: Surface,
  status: number,
  message: string,
  headers?: HeadersInit,
  code?: string,
): Response {
  const body = surface === "anthropic"
    ? { type: "error", error: { type: ANTHROPIC_TYPES[status] ?? "api_error", message } }
    : {
      error: {
        message,
        type: OPENAI_TYPES[status]?.[0] ?? "server_error",
        param: null,
        code: code ?? OPENAI_TYPES[status]?.[1] ?? null,
      },
    };
  const responseHeaders = new Headers(headers);
  responseHeaders.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: responseHeaders });
}
