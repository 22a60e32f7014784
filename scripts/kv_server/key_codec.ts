/**
 * Deno KV's key encoding (the FoundationDB tuple layer as Deno uses it), which
 * KV Connect carries on the wire: each part is a type tag and its bytes, so
 * byte order is key order. Bytes 0x01 and strings 0x02 are NUL-terminated
 * with NUL escaped as 00 FF; bigints 0x0b..0x1d (0x14 is zero, the tag counts
 * the bytes, beyond eight a length byte follows, negatives are inverted);
 * numbers 0x21 (big-endian IEEE double, all bits flipped when negative, else
 * the sign bit); false 0x26, true 0x27. Decoding is strict: anything left
 * over or cut short is an error, which the range planner relies on.
 *
 * @module
 */

const TAG = {
  bytes: 0x01,
  string: 0x02,
  negArbitrary: 0x0b,
  zero: 0x14,
  posArbitrary: 0x1d,
  double: 0x21,
  false: 0x26,
  true: 0x27,
} as const;

/** Thrown for bytes that are not an encoded key. */
export class KeyCodecError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function pushEscaped(out: number[], bytes: Uint8Array): void {
  for (const byte of bytes) {
    out.push(byte);
    if (byte === 0) out.push(0xff);
  }
  out.push(0);
}

function bigintBytes(abs: bigint): number[] {
  const bytes: number[] = [];
  for (let rest = abs; rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
  return bytes;
}

function pushPart(out: number[], part: Deno.KvKeyPart): void {
  if (part instanceof Uint8Array) {
    out.push(TAG.bytes);
    pushEscaped(out, part);
  } else if (typeof part === "string") {
    out.push(TAG.string);
    pushEscaped(out, encoder.encode(part));
  } else if (typeof part === "bigint") {
    if (part === 0n) return void out.push(TAG.zero);
    const bytes = bigintBytes(part < 0n ? -part : part);
    if (bytes.length > 255) throw new KeyCodecError("bigint key part longer than 255 bytes");
    if (part > 0n) {
      if (bytes.length <= 8) out.push(TAG.zero + bytes.length);
      else out.push(TAG.posArbitrary, bytes.length);
      out.push(...bytes);
    } else {
      if (bytes.length <= 8) out.push(TAG.zero - bytes.length);
      else out.push(TAG.negArbitrary, bytes.length ^ 0xff);
      out.push(...bytes.map((byte) => byte ^ 0xff));
    }
  } else if (typeof part === "number") {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Number.isNaN(part) ? NaN : part);
    const bits = new Uint8Array(view.buffer);
    if (bits[0] & 0x80) { for (let i = 0; i < 8; i++) bits[i] ^= 0xff; }
    else bits[0] ^= 0x80;
    out.push(TAG.double, ...bits);
  } else if (part === false) {
    out.push(TAG.false);
  } else if (part === true) {
    out.push(TAG.true);
  } else {
    throw new KeyCodecError(`unsupported key part ${typeof part}`);
  }
}

/** Encodes a key as Deno KV does. */
export function encodeKey(key: Deno.KvKey): Uint8Array {
  const out: number[] = [];
  for (const part of key) pushPart(out, part);
  return Uint8Array.from(out);
}

/** Decodes an encoded key; throws {@linkcode KeyCodecError} unless `bytes` is exactly one key. */
export function decodeKey(bytes: Uint8Array): Deno.KvKey {
  const key: Deno.KvKeyPart[] = [];
  let pos = 0;
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) throw new KeyCodecError("key cut short");
    const slice = bytes.subarray(pos, pos + n);
    pos += n;
    return slice;
  };
  const terminated = (): Uint8Array => {
    const out: number[] = [];
    for (;;) {
      if (pos >= bytes.length) throw new KeyCodecError("unterminated bytes or string key part");
      const byte = bytes[pos++];
      if (byte !== 0) out.push(byte);
      else if (bytes[pos] === 0xff) {
        out.push(0);
        pos++;
      } else return Uint8Array.from(out);
    }
  };
  const unsigned = (raw: Uint8Array, negative: boolean): bigint => {
    let value = 0n;
    for (const byte of raw) value = (value << 8n) | BigInt(negative ? byte ^ 0xff : byte);
    return value;
  };
  while (pos < bytes.length) {
    const tag = bytes[pos++];
    if (tag === TAG.bytes) key.push(terminated());
    else if (tag === TAG.string) {
      try {
        key.push(decoder.decode(terminated()));
      } catch (error) {
        if (error instanceof KeyCodecError) throw error;
        throw new KeyCodecError("string key part is not UTF-8");
      }
    } else if (tag >= TAG.zero - 8 && tag <= TAG.zero + 8) {
      const n = Math.abs(tag - TAG.zero);
      const value = unsigned(take(n), tag < TAG.zero);
      key.push(tag < TAG.zero ? -value : value);
    } else if (tag === TAG.posArbitrary) {
      key.push(unsigned(take(take(1)[0]), false));
    } else if (tag === TAG.negArbitrary) {
      key.push(-unsigned(take(take(1)[0] ^ 0xff), true));
    } else if (tag === TAG.double) {
      const bits = Uint8Array.from(take(8));
      if (bits[0] & 0x80) bits[0] ^= 0x80;
      else for (let i = 0; i < 8; i++) bits[i] ^= 0xff;
      key.push(new DataView(bits.buffer).getFloat64(0));
    } else if (tag === TAG.false) key.push(false);
    else if (tag === TAG.true) key.push(true);
    else throw new KeyCodecError(`unknown key tag 0x${tag.toString(16).padStart(2, "0")}`);
  }
  return key;
}

/** Byte order of two encoded keys (which is key order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Whether `bytes` starts with `prefix`. */
export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
