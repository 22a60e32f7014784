/**
 * The error object of an error body, in either client API's shape: OpenAI's
 * `{"error": {...}}` and Anthropic's `{"type": "error", "error": {...}}` both
 * keep it under `error`.
 *
 * @module
 */

/** The `error` object of an OpenAI- or Anthropic-shaped error body. */
export function errorObject(body: unknown): Record<string, unknown> | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const error = (body as Record<string, unknown>).error;
  return error !== null && typeof error === "object" ? error as Record<string, unknown> : undefined;
}
