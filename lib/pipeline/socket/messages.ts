/**
 * The messages of the Responses WebSocket mode (Codex CLI's
 * `responses_websockets=2026-02-06`), pure. The client sends one JSON text
 * message per request, `{"type": "response.create", ...}` with the fields of
 * a `POST /v1/responses` body (`generate: false` asks for a warm-up that
 * makes no output; `response.processed` acknowledges a response and needs
 * no answer). The server sends each event of the response's stream as one
 * text message, its JSON exactly as the SSE `data` would be. A request that
 * fails is answered by one `error` event carrying the HTTP status the
 * request would have had, which Codex reads as that HTTP error:
 * `{"type":"error","status":429,"error":{...},"headers":{...}}`.
 *
 * @module
 */

import { errorBody, HttpError } from "../../http/errors.ts";
import { isObject, type JsonObject } from "../../protocols/json.ts";

/** What one client text message asks for. */
export type ClientMessage =
  /** A response: `body` is the HTTP request body (without `type` and `generate`). */
  | { kind: "create"; body: JsonObject; warmup: boolean }
  /** An acknowledgement; nothing to answer. */
  | { kind: "ignored" }
  | { kind: "invalid"; message: string };

/** Fields of a `response.create` message that belong to the socket, not to the HTTP body. */
const SOCKET_FIELDS = new Set(["type", "generate"]);

/** Reads a client text message. */
export function readClientMessage(text: string): ClientMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: "invalid", message: "the message is not valid JSON" };
  }
  if (!isObject(parsed)) return { kind: "invalid", message: "the message must be a JSON object" };
  const type = parsed.type;
  if (type === "response.processed") return { kind: "ignored" };
  if (type !== "response.create") {
    return {
      kind: "invalid",
      message: `unsupported message type ${JSON.stringify(type ?? null)}; ` +
        `send "response.create"`,
    };
  }
  const body: JsonObject = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!SOCKET_FIELDS.has(key)) body[key] = value;
  }
  // The socket always streams: each event is one message.
  body.stream = true;
  return { kind: "create", body, warmup: parsed.generate === false };
}

/** The `error` event for a request refused with `status`, from its OpenAI error body. */
export function errorEvent(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): string {
  const error = isObject(body) && isObject(body.error)
    ? body.error
    : errorBody("openai", new HttpError(status, upstreamMessage(status, body))).error;
  return JSON.stringify({
    type: "error",
    status,
    error,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  });
}

/** The `error` event for a message the gateway cannot take (`400`). */
export function invalidMessageEvent(message: string): string {
  return errorEvent(400, errorBody("openai", new HttpError(400, message)));
}

/** A message for a non-OpenAI-shaped error body (the ChatGPT backend's `{"detail": ...}`). */
function upstreamMessage(status: number, body: unknown): string {
  if (isObject(body) && typeof body.detail === "string") return body.detail;
  if (typeof body === "string" && body.trim() !== "") return body.trim().slice(0, 500);
  return `the request failed with status ${status}`;
}

/** The events of a warm-up (`generate: false`): an empty response, answered by the gateway. */
export function warmupEvents(id: string, body: JsonObject, createdAt: number): string[] {
  const response = (status: string) => ({
    id,
    object: "response",
    created_at: createdAt,
    status,
    model: typeof body.model === "string" ? body.model : null,
    output: [],
    ...(status === "completed"
      ? { usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } }
      : {}),
  });
  return [
    JSON.stringify({
      type: "response.created",
      sequence_number: 0,
      response: response("in_progress"),
    }),
    JSON.stringify({
      type: "response.completed",
      sequence_number: 1,
      response: response("completed"),
    }),
  ];
}
