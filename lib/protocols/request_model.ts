/**
 * The `model` of a JSON request body, found without parsing the body: a scan
 * of the raw bytes for the top-level `"model"` key that stops as soon as it
 * is found. Structural JSON bytes are ASCII and never occur inside a UTF-8
 * multi-byte character, so the bytes can be scanned as they are. Only the
 * value itself is decoded.
 *
 * Callers read it lazily ({@linkcode lazyRequestModel}): only a model-scoped
 * cooldown or an error answer needs it, so the hot path pays nothing.
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MODEL_KEY = new TextEncoder().encode('"model"');

/** The top-level string `model` of a JSON object body; `undefined` if there is none. */
export function requestModel(body: Uint8Array | null): string | undefined {
  if (!body) return undefined;
  let depth = 0;
  let at = skipSpace(body, 0);
  if (body[at] !== OPEN_OBJECT) return undefined;
  while (at < body.length) {
    const byte = body[at];
    if (byte === QUOTE) {
      const end = stringEnd(body, at);
      if (end < 0) return undefined;
      if (depth === 1 && isModelKey(body, at, end)) {
        const colon = skipSpace(body, end + 1);
        if (body[colon] === COLON) {
          const value = skipSpace(body, colon + 1);
          return body[value] === QUOTE ? decodeString(body, value) : undefined;
        }
      }
      at = end + 1;
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
    else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (--depth === 0) return undefined;
    }
    at++;
  }
  return undefined;
}

/** A memoised {@linkcode requestModel}: the body is scanned at most once, and only if asked. */
export function lazyRequestModel(body: Uint8Array | null): () => string | undefined {
  let scanned = false;
  let model: string | undefined;
  return () => {
    if (!scanned) {
      model = requestModel(body);
      scanned = true;
    }
    return model;
  };
}

/** Index of the quote that closes the string opening at `start`; -1 if it never closes. */
function stringEnd(body: Uint8Array, start: number): number {
  for (let at = start + 1; at < body.length; at++) {
    if (body[at] === BACKSLASH) at++;
    else if (body[at] === QUOTE) return at;
  }
  return -1;
}

function isModelKey(body: Uint8Array, start: number, end: number): boolean {
  if (end - start + 1 !== MODEL_KEY.length) return false;
  for (let i = 0; i < MODEL_KEY.length; i++) {
    if (body[start + i] !== MODEL_KEY[i]) return false;
  }
  return true;
}

function decodeString(body: Uint8Array, start: number): string | undefined {
  const end = stringEnd(body, start);
  if (end < 0) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(body.subarray(start, end + 1)));
    return typeof value === "string" && value !== "" ? value : undefined;
  } catch {
    return undefined;
  }
}

function skipSpace(body: Uint8Array, from: number): number {
  let at = from;
  while (
    at < body.length &&
    (body[at] === 0x20 || body[at] === 0x0a || body[at] === 0x0d || body[at] === 0x09)
  ) {
    at++;
  }
  return at;
}
