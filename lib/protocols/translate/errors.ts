/**
 * Errors across APIs. An upstream error body (OpenAI
 * `{"error":{message,type,param,code}}`, Anthropic
 * `{"type":"error","error":{type,message}}`, the ChatGPT backend's
 * `{"detail":"..."}`, or plain text) is read into an {@linkcode IrError} and
 * written in the client's shape with the upstream's status kept; the same
 * shapes serve stream error events.
 *
 * @module
 */

import type { MessagesErrorBody } from "../messages/types.ts";
import type { OpenAiErrorBody } from "../chat/types.ts";
import { isObject, type JsonObject, obj, parseJson, str } from "../json.ts";
import type { Api, IrError, IrErrorKind, TranslationError } from "./ir.ts";

const ANTHROPIC_TYPES: Record<IrErrorKind, string> = {
  invalid_request: "invalid_request_error",
  authentication: "authentication_error",
  permission: "permission_error",
  not_found: "not_found_error",
  request_too_large: "request_too_large",
  rate_limit: "rate_limit_error",
  billing: "billing_error",
  api_error: "api_error",
  overloaded: "overloaded_error",
  timeout: "timeout_error",
};

const OPENAI_TYPES: Record<IrErrorKind, [type: string, code: string | null]> = {
  invalid_request: ["invalid_request_error", null],
  authentication: ["invalid_request_error", "invalid_api_key"],
  permission: ["permission_error", null],
  not_found: ["invalid_request_error", "not_found"],
  request_too_large: ["invalid_request_error", "request_too_large"],
  rate_limit: ["rate_limit_error", "rate_limit_exceeded"],
  billing: ["insufficient_quota", "insufficient_quota"],
  api_error: ["server_error", null],
  overloaded: ["server_error", "overloaded"],
  timeout: ["server_error", "timeout"],
};

/** The error kind an HTTP status means when the body says nothing more. */
export function kindFromStatus(status: number): IrErrorKind {
  if (status === 401) return "authentication";
  if (status === 402) return "billing";
  if (status === 403) return "permission";
  if (status === 404) return "not_found";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit";
  if (status === 503 || status === 529) return "overloaded";
  if (status === 504 || status === 408) return "timeout";
  if (status >= 500) return "api_error";
  return "invalid_request";
}

/** Reads an error body (JSON or text) of any upstream. */
export function decodeError(status: number, body: unknown): IrError {
  const value = typeof body === "string" ? parseJson(body) ?? body : body;
  if (isObject(value)) {
    const inner = obj(value, "error");
    if (inner) return fromErrorObject(status, inner);
    const detail = str(value, "detail") ?? str(value, "message");
    if (detail) return { kind: kindFromStatus(status), message: detail };
  }
  const text = typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  return { kind: kindFromStatus(status), message: text ?? `upstream error (HTTP ${status})` };
}

/** Reads the `error` object of an OpenAI or Anthropic error body or event. */
export function fromErrorObject(status: number, error: JsonObject): IrError {
  const type = str(error, "type");
  const code = str(error, "code");
  const param = str(error, "param");
  const kind = kindFromType(type, code) ?? kindFromStatus(status);
  const out: IrError = { kind, message: str(error, "message") ?? type ?? "upstream error" };
  if (code) out.code = code;
  if (param) out.param = param;
  return out;
}

function kindFromType(type?: string, code?: string): IrErrorKind | undefined {
  for (const [kind, name] of Object.entries(ANTHROPIC_TYPES)) {
    if (type === name && name !== "invalid_request_error") return kind as IrErrorKind;
  }
  if (type === "insufficient_quota" || code === "insufficient_quota") return "billing";
  if (code === "invalid_api_key") return "authentication";
  if (code === "rate_limit_exceeded" || type === "usage_limit_reached") return "rate_limit";
  if (code === "overloaded" || code === "server_is_overloaded") return "overloaded";
  if (type === "server_error") return code === "overloaded" ? "overloaded" : "api_error";
  if (type === "invalid_request_error") return "invalid_request";
  return undefined;
}

/** An error in the client API's body shape. */
export function encodeError(api: Api, error: IrError): OpenAiErrorBody | MessagesErrorBody {
  return api === "messages" ? anthropicError(error) : openAiError(error);
}

/** An error in OpenAI's shape (Chat Completions and Responses). */
export function openAiError(error: IrError): OpenAiErrorBody {
  const [type, code] = OPENAI_TYPES[error.kind];
  const param = error.param ?? null;
  return { error: { message: error.message, type, param, code: error.code ?? code } };
}

/** An error in Anthropic's shape. */
export function anthropicError(error: IrError): MessagesErrorBody {
  return { type: "error", error: { type: ANTHROPIC_TYPES[error.kind], message: error.message } };
}

/** An upstream error response re-shaped for a client of another API; the status is kept. */
export function translateErrorBody(to: Api, status: number, body: string): string {
  return JSON.stringify(encodeError(to, decodeError(status, body)));
}

/** The 400 body for a request that cannot be served without a field the target cannot take. */
export function translationErrorBody(api: Api, error: TranslationError): string {
  const ir: IrError = { kind: "invalid_request", message: error.message, param: error.field };
  return JSON.stringify(encodeError(api, ir));
}
