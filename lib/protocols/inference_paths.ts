/**
 * Which API requests a client key may make. Pure.
 *
 * Every request goes upstream with a pooled account's credential, so a key
 * must not reach what belongs to the account rather than to the request:
 * files, batches, fine-tunes, vector stores, stored chat completions, other
 * users' stored responses. By default only the inference endpoints are open
 * ({@linkcode INFERENCE_ENDPOINTS}); a stored response (retrieve, delete,
 * cancel, input items) is open only to the key that created it, which the
 * caller checks. A group's `allowPaths` opens further paths, for every method.
 *
 * @module
 */

import { isSafeId, matchesPathPattern, pathSegments } from "../config/path_patterns.ts";
import { type BodyKind, isForm } from "./body_fields.ts";
import type { Json, JsonObject } from "./json.ts";

/** What a request may do. */
export type PathAccess =
  /** An inference endpoint. */
  | { kind: "open" }
  /** Opened by the group's `allowPaths`; `responseId` when it names a stored response. */
  | { kind: "widened"; responseId?: string }
  /** A stored response: open only to the key that created it. */
  | { kind: "owner"; responseId: string }
  | { kind: "denied" };

/**
 * The default endpoints, `METHOD /path`; `{id}` is one id segment, `{response}`
 * a stored response's id (owner only).
 */
export const INFERENCE_ENDPOINTS: readonly string[] = [
  "POST /v1/chat/completions",
  "POST /v1/responses",
  "POST /v1/responses/compact",
  "POST /v1/responses/input_tokens",
  "GET /v1/responses/{response}",
  "DELETE /v1/responses/{response}",
  "POST /v1/responses/{response}/cancel",
  "GET /v1/responses/{response}/input_items",
  "POST /v1/completions",
  "POST /v1/embeddings",
  "POST /v1/moderations",
  "GET /v1/models",
  "GET /v1/models/{id}",
  "POST /v1/audio/transcriptions",
  "POST /v1/audio/translations",
  "POST /v1/audio/speech",
  "POST /v1/images/generations",
  "POST /v1/images/edits",
  "POST /v1/images/variations",
  "POST /v1/messages",
  "POST /v1/messages/count_tokens",
];

/**
 * The Responses WebSocket (Codex CLI's transport): `GET` with `Upgrade:
 * websocket` on this path opens a connection whose messages are each a
 * `POST /v1/responses` (`lib/pipeline/socket/`).
 */
export const RESPONSES_SOCKET_PATH = "/v1/responses";

/** Requests whose success creates a stored response, remembered as the key's own. */
const CREATES_RESPONSE = ["POST /v1/responses", "POST /v1/responses/compact"];

/** Requests whose body may name an earlier response in `previous_response_id`. */
const REFERS_TO_RESPONSE = [...CREATES_RESPONSE, "POST /v1/responses/input_tokens"];

/** The inference endpoints whose body is a JSON object (or, for uploads, a form). */
const TAKES_JSON = INFERENCE_ENDPOINTS.filter((row) =>
  row.startsWith("POST ") && !row.includes("{response}")
);
const TABLE = INFERENCE_ENDPOINTS.map((row) => {
  const [method, path] = row.split(" ");
  return { method, parts: path.split("/").slice(1) };
});

/** Decides what `method pathname` may do for a group with `allowPaths`. */
export function pathAccess(
  method: string,
  pathname: string,
  allowPaths: readonly string[] = [],
): PathAccess {
  const segments = pathSegments(pathname);
  if (!segments) return { kind: "denied" };
  const widened = allowPaths.some((pattern) => matchesPathPattern(pattern, segments));
  for (const row of TABLE) {
    if (row.method !== method || row.parts.length !== segments.length) continue;
    let responseId: string | undefined;
    const matches = row.parts.every((part, index) => {
      const segment = segments[index];
      if (part === "{id}") return isSafeId(segment);
      if (part === "{response}") {
        responseId = segment;
        return isSafeId(segment);
      }
      return part === segment;
    });
    if (!matches) continue;
    if (responseId === undefined) return { kind: "open" };
    return { kind: widened ? "widened" : "owner", responseId };
  }
  return widened ? { kind: "widened" } : { kind: "denied" };
}

/** Does a successful `method pathname` create a response this key should own? */
export function createsResponse(method: string, pathname: string): boolean {
  return CREATES_RESPONSE.includes(endpoint(method, pathname));
}

/**
 * The `previous_response_id` a request body (parsed) refers to, for the
 * Responses endpoints that accept one: `undefined` when there is none (or
 * `null`), else the value as given, which the caller checks is a string.
 */
export function previousResponseId(
  method: string,
  pathname: string,
  body: JsonObject | undefined,
): Json | undefined {
  if (!body || !REFERS_TO_RESPONSE.includes(endpoint(method, pathname))) return undefined;
  const id = body.previous_response_id;
  return id === null ? undefined : id;
}

/**
 * How the body of `method pathname` is read (`lib/protocols/body_fields.ts`):
 * an inference endpoint takes JSON unless a form is sent; a path opened by
 * `allowPaths` may take anything.
 */
export function bodyKind(method: string, pathname: string, contentType: string | null): BodyKind {
  if (isForm(contentType)) return "form";
  return TAKES_JSON.includes(endpoint(method, pathname)) ? "json" : "maybe-json";
}

/** Can this reference to a stored response be used by a group with `allowPaths`? */
export function referenceAccess(
  responseId: string,
  allowPaths: readonly string[] = [],
): PathAccess {
  if (!isSafeId(responseId)) return { kind: "denied" };
  return pathAccess("GET", `/v1/responses/${responseId}`, allowPaths);
}

/** `METHOD /decoded/path`, as the upstream reads it. */
function endpoint(method: string, pathname: string): string {
  const segments = pathSegments(pathname);
  return segments ? `${method} /${segments.join("/")}` : "";
}
