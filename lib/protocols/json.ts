/**
 * Reading untyped JSON (a client's request body, an upstream's event) without
 * `any`: a `Json` value type and small accessors that answer `undefined` for a
 * missing or wrongly typed field, so decoders can read loosely and decide
 * themselves what is an error.
 *
 * @module
 */

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: Json;
}

/** Is `value` a JSON object (not null, not an array)? */
export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `object[key]` when it is a string. */
export function str(object: JsonObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === "string" ? value : undefined;
}

/** `object[key]` when it is a finite number. */
export function num(object: JsonObject | undefined, key: string): number | undefined {
  const value = object?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** `object[key]` when it is a boolean. */
export function bool(object: JsonObject | undefined, key: string): boolean | undefined {
  const value = object?.[key];
  return typeof value === "boolean" ? value : undefined;
}

/** `object[key]` when it is an array. */
export function arr(object: JsonObject | undefined, key: string): Json[] | undefined {
  const value = object?.[key];
  return Array.isArray(value) ? value : undefined;
}

/** `object[key]` when it is an object. */
export function obj(object: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = object?.[key];
  return isObject(value) ? value : undefined;
}

/** The objects of an array (anything else in it is skipped). */
export function objects(values: Json[] | undefined): JsonObject[] {
  return (values ?? []).filter(isObject);
}

/** Parses JSON text; `undefined` when it is not JSON. */
export function parseJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** A copy of `object` without `undefined` fields (so encoders can write optional fields inline). */
export function compact<T extends object>(object: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) if (value !== undefined) out[key] = value;
  return out as T;
}
