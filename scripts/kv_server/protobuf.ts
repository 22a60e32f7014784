/**
 * A minimal protobuf wire codec for the KV Connect test server: varints,
 * length-delimited fields and the two fixed widths, enough to read and write
 * the `com.deno.kv.datapath` messages by hand (no generated code, no
 * dependency). Unknown fields are skipped, as protobuf requires.
 *
 * @module
 */

/** Protobuf wire types. */
export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** A field read from a message: its number, wire type and raw value. */
export interface Field {
  number: number;
  wireType: number;
  /** The varint value (wire type 0) as a bigint; the fixed values as bigint too. */
  int: bigint;
  /** The payload of a length-delimited field (wire type 2). */
  bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Thrown for bytes that are not a well-formed protobuf message. */
export class ProtobufError extends Error {}

/** Reads every field of one message, in order. */
export function* readFields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= buf.length) throw new ProtobufError("truncated varint");
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtobufError("varint longer than 10 bytes");
  };
  const fixed = (size: number): bigint => {
    if (pos + size > buf.length) throw new ProtobufError("truncated fixed field");
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(buf[pos + i]);
    pos += size;
    return value;
  };
  while (pos < buf.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) throw new ProtobufError("field number 0");
    switch (wireType) {
      case WireType.varint:
        yield { number, wireType, int: varint(), bytes: EMPTY };
        break;
      case WireType.fixed64:
        yield { number, wireType, int: fixed(8), bytes: EMPTY };
        break;
      case WireType.fixed32:
        yield { number, wireType, int: fixed(4), bytes: EMPTY };
        break;
      case WireType.bytes: {
        const length = Number(varint());
        if (pos + length > buf.length) throw new ProtobufError("truncated length-delimited field");
        yield { number, wireType, int: 0n, bytes: buf.subarray(pos, pos + length) };
        pos += length;
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
  }
}

/** The values of a repeated varint field, packed (proto3's default) or not. */
export function varintsOf(field: Field): bigint[] {
  if (field.wireType === WireType.varint) return [field.int];
  if (field.wireType !== WireType.bytes) throw new ProtobufError("expected a varint field");
  const values: bigint[] = [];
  let pos = 0;
  while (pos < field.bytes.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= field.bytes.length) throw new ProtobufError("truncated packed varint");
      const byte = field.bytes[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) break;
      if (shift >= 70n) throw new ProtobufError("varint longer than 10 bytes");
    }
    values.push(BigInt.asUintN(64, result));
  }
  return values;
}

/** Requires a length-delimited field (a message, bytes or a string). */
export function bytesOf(field: Field): Uint8Array {
  if (field.wireType !== WireType.bytes) {
    throw new ProtobufError(`field ${field.number} should be length-delimited`);
  }
  return field.bytes;
}

/** Requires a varint field and returns it as a signed 64-bit number (int32/int64/enum/bool). */
export function intOf(field: Field): number {
  if (field.wireType !== WireType.varint) {
    throw new ProtobufError(`field ${field.number} should be a varint`);
  }
  return Number(BigInt.asIntN(64, field.int));
}

/** Builds one message. proto3 defaults (0, false, empty) are left out, as encoders do. */
export class ProtoWriter {
  #chunks: Uint8Array[] = [];
  #length = 0;

  /** A varint field (int32, int64, uint32, enum, bool); negative values take ten bytes. */
  int(number: number, value: number | bigint | boolean): this {
    const big = typeof value === "boolean" ? (value ? 1n : 0n) : BigInt(value);
    if (big === 0n) return this;
    this.#varint(BigInt((number << 3) | WireType.varint));
    this.#varint(BigInt.asUintN(64, big));
    return this;
  }

  /** A length-delimited field (bytes or an embedded message); `always` writes it even when empty. */
  bytes(number: number, value: Uint8Array, always = false): this {
    if (value.length === 0 && !always) return this;
    this.#varint(BigInt((number << 3) | WireType.bytes));
    this.#varint(BigInt(value.length));
    this.#push(value);
    return this;
  }

  /** A packed repeated varint field. */
  packed(number: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const value of values) inner.#varint(BigInt(value));
    return this.bytes(number, inner.finish());
  }

  finish(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  #push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  #varint(value: bigint): void {
    const bytes: number[] = [];
    let rest = value;
    while (rest >= 0x80n) {
      bytes.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    bytes.push(Number(rest));
    this.#push(Uint8Array.from(bytes));
  }
}
