/**
 * The ids in a request body that point at objects one account stores:
 * a `conversation` (string or `{id}`), `item_reference` input items (also
 * an input item with neither `type` nor `role`, which the Responses API
 * reads as one), and anywhere in the body a `file_id`, `file_ids`,
 * `vector_store_ids`, or a `container` id (code interpreter, Anthropic
 * containers). Forwarded with a pooled account's credential, such an id
 * would reach whatever that account stores, another key's included; the
 * caller refuses them unless the group's `allowPaths` opens the object's
 * API ({@linkcode STORED_API}). Free-form JSON a client writes (schemas,
 * metadata, a tool call's input) is not searched. Pure.
 * (`previous_response_id` has its own owner check; a stored `prompt` is
 * the account owner's template, not a key's data, and is forwarded.)
 *
 * @module
 */

import { isObject, type Json, type JsonObject } from "./json.ts";

/** What a stored id names. */
export type StoredKind = "conversation" | "item" | "file" | "vector_store" | "container";

/** One id the body names, with the field that names it (`input[0].content[1].file_id`). */
export interface StoredReference {
  field: string;
  kind: StoredKind;
  /** `undefined` when the field holds something other than a string id. */
  id: string | undefined;
}

/** The API whose opening (by a group's `allowPaths`) lets a body name an object of each kind. */
export const STORED_API: Readonly<Record<StoredKind, string>> = {
  conversation: "/v1/conversations",
  item: "/v1/conversations",
  file: "/v1/files",
  vector_store: "/v1/vector_stores",
  container: "/v1/containers",
};

/**
 * What a body that holds a deep reference must contain: one of the names,
 * or a `\u` escape that could spell one. (One regex pass: four `includes`
 * cost ten times as much on a large body.)
 */
const DEEP_HINT = /file_id|vector_store_ids|container|\\u/;

/**
 * Free-form JSON a client writes, not references: JSON schemas (function
 * tools, output formats), metadata, and a tool call's arguments (an
 * Anthropic `tool_use` block's `input`; the top-level `input` is walked).
 */
const FREE_FORM = new Set(["parameters", "schema", "input_schema", "properties", "metadata"]);

/** Every stored-object id `body` names; `text` is its JSON text (a walk is skipped when it cannot hold one). */
export function storedReferences(body: JsonObject, text: string): StoredReference[] {
  const found: StoredReference[] = [];
  const conversation = body.conversation;
  if (conversation !== undefined && conversation !== null) {
    const id = isObject(conversation) ? conversation.id : conversation;
    found.push({ field: "conversation", kind: "conversation", id: stringId(id) });
  }
  const input = body.input;
  if (Array.isArray(input)) {
    input.forEach((item, i) => {
      if (!isObject(item)) return;
      const type = item.type;
      if (
        type === "item_reference" || ((type === undefined || type === null) && !("role" in item))
      ) {
        found.push({ field: `input[${i}]`, kind: "item", id: stringId(item.id) });
      }
    });
  }
  if (DEEP_HINT.test(text)) walk(body, "", found);
  return found;
}

function walk(value: Json, path: string, found: StoredReference[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${path}[${i}]`, found));
    return;
  }
  if (!isObject(value)) return;
  for (const key in value) {
    const field = path === "" ? key : `${path}.${key}`;
    const item = value[key];
    if (item === null || FREE_FORM.has(key) || (key === "input" && path !== "")) continue;
    if (key === "file_id") found.push({ field, kind: "file", id: stringId(item) });
    else if (key === "file_ids") ids(item, field, "file", found);
    else if (key === "vector_store_ids") ids(item, field, "vector_store", found);
    else if (key === "container") container(item, field, found);
    else if (typeof item === "object") walk(item, field, found);
  }
}

/** A container id, or an object with one (`{id}`); `{type: "auto", file_ids}` names files. */
function container(value: Json, field: string, found: StoredReference[]): void {
  if (!isObject(value)) return void found.push({ field, kind: "container", id: stringId(value) });
  if (value.id !== undefined && value.id !== null) {
    found.push({ field: `${field}.id`, kind: "container", id: stringId(value.id) });
  }
  walk(value, field, found);
}

function ids(value: Json, field: string, kind: StoredKind, found: StoredReference[]): void {
  if (!Array.isArray(value)) return void found.push({ field, kind, id: undefined });
  for (const id of value) found.push({ field, kind, id: stringId(id) });
}

function stringId(value: Json | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}
