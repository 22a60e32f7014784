/**
 * KV Connect value encodings and versionstamps, between the wire and a local
 * `Deno.Kv`: V8 serialization (via `node:v8`, whose format is the one Deno's
 * KV client writes), raw bytes for a `Uint8Array`, and eight little-endian
 * bytes for a `Deno.KvU64`. A versionstamp is 10 raw bytes on the wire and 20
 * hex characters in the local KV; the server hands out the local KV's own.
 *
 * @module
 */

import { deserialize, serialize } from "node:v8";
import { Encoding, type WireValue } from "./datapath.ts";

/** A request the server refuses with a 400 and this message. */
export class RequestError extends Error {}

/** The JS value a wire value stands for. */
export function fromWire(value: WireValue): unknown {
  switch (value.encoding) {
    case Encoding.v8:
      try {
        return deserialize(value.data);
      } catch (error) {
        throw new RequestError(`a V8-encoded value does not deserialize: ${error}`);
      }
    case Encoding.bytes:
      return Uint8Array.from(value.data);
    case Encoding.le64:
      return new Deno.KvU64(le64(value.data));
    default:
      throw new RequestError(`unknown value encoding ${value.encoding}`);
  }
}

/** A stored value as it goes on the wire. */
export function toWire(value: unknown): WireValue {
  if (value instanceof Deno.KvU64) {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigUint64(0, value.value, true);
    return { data, encoding: Encoding.le64 };
  }
  if (value instanceof Uint8Array) return { data: value, encoding: Encoding.bytes };
  return { data: new Uint8Array(serialize(value)), encoding: Encoding.v8 };
}

/** The unsigned 64-bit number in eight little-endian bytes. */
export function le64(data: Uint8Array): bigint {
  if (data.length !== 8) throw new RequestError(`an LE64 value has ${data.length} bytes, not 8`);
  return new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
}

/** 20 hex characters to 10 bytes. */
export function versionstampBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** 10 bytes to 20 hex characters; throws on any other length. */
export function versionstampHex(bytes: Uint8Array): string {
  if (bytes.length !== 10) {
    throw new RequestError(`a versionstamp has ${bytes.length} bytes, not 10`);
  }
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
