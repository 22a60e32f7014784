/**
 * What the gateway reads in a Responses API stream or body as it relays it:
 * the preamble events that come before any content (held for failover), the
 * error event that can follow them, the events that carry the response
 * object (its model, id and usage), content deltas, and the id of a stored
 * response. Usage fields are read by `response.ts`.
 *
 * @module
 */

/** Events that come before any content. */
export const RESPONSES_PREAMBLE_EVENTS = [
  "response.created",
  "response.in_progress",
  "response.queued",
] as const;

/** The event of a response that failed (before content: the request may move on). */
export const RESPONSES_ERROR_EVENT = "response.failed";

/** Events whose `response` carries the model, the id and (when done) the usage. */
export const RESPONSES_OBJECT_EVENTS = [
  "response.created",
  "response.completed",
  "response.incomplete",
  "response.failed",
] as const;

/** A data line carrying generated text. */
export const RESPONSES_DELTA = /"response\.output_text\.delta"/;

/** The start of a Responses object: `{"id": "...", "object": "response"` (or `"response.…"`). */
export const RESPONSE_HEAD =
  /^\s*\{\s*"id"\s*:\s*"([^"\\]{1,256})"\s*,\s*"object"\s*:\s*"response[."]/;

/** The id of a stored Responses object (a response or a compaction), if `body` is one. */
export function storedResponseId(body: Record<string, unknown>): string | undefined {
  const object = body.object;
  if (typeof body.id !== "string" || typeof object !== "string") return undefined;
  if (object !== "response" && !object.startsWith("response.")) return undefined;
  return body.store === false ? undefined : body.id;
}
