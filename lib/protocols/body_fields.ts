/**
 * The request body's fields the gateway decides on, read once per request
 * and shared by every stage (model rules, stored-response checks, session
 * key, usage injection, the queue's stream check, translation). Pure.
 *
 * Policy must read a field as the upstream will, so the body is parsed
 * (`JSON.parse`), never searched for a field's bytes: a JSON escape in a
 * name (`"m\u006fdel"`) or a value changes nothing. A body whose decisive
 * fields cannot be read is refused rather than forwarded:
 * - on an endpoint that takes JSON, a body that is not a JSON object,
 *   invalid UTF-8 included (decoded leniently, its bad bytes would read as
 *   U+FFFD here while the upstream reads them its own way);
 * - on any path, a JSON object that is only one with invalid UTF-8 replaced;
 * - a top-level key given twice (parsers disagree on which copy counts);
 * - `model` that is not a non-empty string, `stream` that is not a boolean
 *   (`null` counts as absent).
 * A form (`multipart/form-data`, `application/x-www-form-urlencoded`) is
 * not JSON: its `model` is read by the caller from the form when a model
 * rule needs it. On other paths (opened by `allowPaths`) a body that does
 * not parse is forwarded as it is, with no fields.
 *
 * @module
 */

import { isObject, type JsonObject } from "./json.ts";
import { repeatedTopLevelKey } from "./json_keys.ts";

/** What the gateway read from a body. */
export interface BodyFields {
  /** The parsed body; `undefined` for no body, a form, or a body that is not JSON. */
  json: JsonObject | undefined;
  /** The body as text (set with `json`), for cheap "could it hold ..." tests. */
  text: string;
  /** The top-level `model`. */
  model: string | undefined;
  /** `stream: true`. */
  stream: boolean;
}

/** A body with nothing to read. */
export const NO_FIELDS: BodyFields = Object.freeze({
  json: undefined,
  text: "",
  model: undefined,
  stream: false,
});

/** The fields, or why the body is refused (`param`: the field at fault). */
export type BodyRead =
  | { ok: true; fields: BodyFields }
  | { ok: false; message: string; param?: string };

/** How a request's body is read. */
export type BodyKind =
  /** An endpoint that takes JSON: anything else is refused. */
  | "json"
  /** A form: no JSON fields. */
  | "form"
  /** Any other path: JSON when it parses, else forwarded with no fields. */
  | "maybe-json";

/** Shared: a decoder per call was a visible cost on the request path. */
const decoder = new TextDecoder();
/**
 * Only for a body whose lenient decoding holds U+FFFD: `fatal` decoding cost
 * 3 to 10 times the lenient one (Deno 2.9, 25-40 KB bodies), so it is not
 * the first pass.
 */
const strict = new TextDecoder("utf-8", { fatal: true });
const NOT_JSON = "the request body is not valid JSON";
const FORM = /^\s*(multipart\/form-data|application\/x-www-form-urlencoded)\s*(;|$)/i;

/** Is this `content-type` a form's? */
export function isForm(contentType: string | null): boolean {
  return contentType !== null && FORM.test(contentType);
}

/** Reads a body's decisive fields with one parse. */
export function readBodyFields(body: Uint8Array | null, kind: BodyKind): BodyRead {
  if (body === null || body.byteLength === 0 || kind === "form") {
    return kind === "json" && body !== null
      ? { ok: false, message: "the request body is empty; a JSON object is required" }
      : { ok: true, fields: NO_FIELDS };
  }
  const text = decoder.decode(body);
  if (text.includes("\uFFFD") && !isUtf8(body)) {
    if (kind === "json" || isObject(parsed(text))) {
      return { ok: false, message: `${NOT_JSON} (it is not valid UTF-8)` };
    }
    return { ok: true, fields: NO_FIELDS };
  }
  const value = parsed(text);
  if (value === UNPARSED) {
    if (kind === "json") return { ok: false, message: NOT_JSON };
    return { ok: true, fields: NO_FIELDS };
  }
  if (!isObject(value)) {
    if (kind === "json") return { ok: false, message: "the request body must be a JSON object" };
    return { ok: true, fields: NO_FIELDS };
  }
  const repeated = repeatedTopLevelKey(text);
  if (repeated !== undefined) {
    const message = `\`${repeated}\` is given more than once; give each field once`;
    return { ok: false, message, param: repeated };
  }
  const model = value.model;
  if (model !== undefined && (typeof model !== "string" || model === "")) {
    return { ok: false, message: "`model` must be a non-empty string", param: "model" };
  }
  const stream = value.stream;
  if (stream !== undefined && stream !== null && typeof stream !== "boolean") {
    return { ok: false, message: "`stream` must be a boolean", param: "stream" };
  }
  return { ok: true, fields: { json: value, text, model, stream: stream === true } };
}

/**
 * Is `body` valid UTF-8? Asked only when the lenient decoding holds U+FFFD,
 * which it writes for every bad sequence, or which the body may hold itself.
 */
function isUtf8(body: Uint8Array): boolean {
  try {
    strict.decode(body);
    return true;
  } catch {
    return false;
  }
}

const UNPARSED = Symbol("unparsed");

/** `JSON.parse(text)`, or `UNPARSED` when it throws. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return UNPARSED;
  }
}

/**
 * The `model` of a form (`FormData`, as `Request.formData()` reads it), or
 * why it cannot be used: more than one, or one that is not text.
 */
export function formModel(form: FormData): { ok: true; model?: string } | {
  ok: false;
  message: string;
} {
  const models = form.getAll("model");
  if (models.length === 0) return { ok: true };
  const [model] = models;
  if (models.length > 1 || typeof model !== "string" || model === "") {
    return { ok: false, message: "the form's `model` must be given once, as a non-empty string" };
  }
  return { ok: true, model };
}
