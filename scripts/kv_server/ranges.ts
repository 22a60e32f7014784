/**
 * Turns a KV Connect read range — two encoded-key bounds, [start, end) — into
 * reads a local `Deno.Kv` can do, since its `list` takes keys, not bytes.
 * Deno's client only sends bounds of the forms its selectors make: a key, a
 * key followed by 0x00 (just after the key: a prefix's first child or a
 * cursor) or a key followed by 0xff (past the key's whole subtree). The plan
 * is a sequence of local reads in key order whose union covers the range;
 * the caller still filters each entry by its bytes, so the plan may be wider.
 *
 * @module
 */

import { compareBytes, decodeKey, KeyCodecError, startsWith } from "./key_codec.ts";

/** One local read: a `get` of one key or a `list` with a selector. */
export type Piece = { get: Deno.KvKey } | { list: Deno.KvListSelector };

interface Bound {
  key: Deno.KvKey;
  /** The key's encoding. */
  bytes: Uint8Array;
  /** What followed the key in the bound: nothing, 0x00 or 0xff. */
  suffix: "none" | 0x00 | 0xff;
}

function parseBound(raw: Uint8Array, which: string): Bound {
  try {
    return { key: decodeKey(raw), bytes: raw, suffix: "none" };
  } catch (error) {
    if (!(error instanceof KeyCodecError)) throw error;
  }
  const last = raw[raw.length - 1];
  if (raw.length > 0 && (last === 0x00 || last === 0xff)) {
    const bytes = raw.subarray(0, raw.length - 1);
    try {
      return { key: decodeKey(bytes), bytes, suffix: last };
    } catch (error) {
      if (!(error instanceof KeyCodecError)) throw error;
    }
  }
  throw new KeyCodecError(`the range ${which} is not a key, a key + 00 or a key + ff`);
}

/** The local reads, in key order, that cover [start, end). Empty when the range is empty. */
export function planRange(start: Uint8Array, end: Uint8Array): Piece[] {
  if (compareBytes(start, end) >= 0) return [];
  const lower = parseBound(start, "start");
  const upper = parseBound(end, "end");
  const own: Piece[] = upper.key.length > 0 ? [{ get: upper.key }] : [];
  const before: Piece[] = compareBytes(lower.bytes, upper.bytes) < 0
    ? [{ list: { start: lower.key, end: upper.key } }]
    : [];
  // Ends just before a key, or just after it (a key + 00 takes in the key but not its children).
  if (upper.suffix === "none") return before;
  if (upper.suffix === 0x00) return [...before, ...own];
  // Ends past the subtree of `upper.key`: that key itself, then its children.
  const subtree: Piece = { list: { prefix: upper.key } };
  if (startsWith(lower.bytes, upper.bytes)) {
    if (lower.bytes.length === upper.bytes.length) return [...own, subtree];
    return [{ list: { prefix: upper.key, start: lower.key } }];
  }
  if (compareBytes(lower.bytes, upper.bytes) > 0) return [];
  return [...before, ...own, subtree];
}

/** Whether an encoded key lies in [start, end). */
export function inRange(key: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  return compareBytes(key, start) >= 0 && compareBytes(key, end) < 0;
}
