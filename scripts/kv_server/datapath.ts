/**
 * The `com.deno.kv.datapath` messages of KV Connect (denokv's
 * `proto/schema/datapath.proto`) that the test server reads and writes, with
 * their field numbers. Requests are decoded into plain objects; responses are
 * encoded from them.
 *
 * @module
 */

import { bytesOf, type Field, intOf, ProtobufError, ProtoWriter, readFields } from "./protobuf.ts";

/** `ValueEncoding`. */
export const Encoding = { v8: 1, le64: 2, bytes: 3 } as const;
/** `MutationType`. */
export const MutationType = {
  set: 1,
  delete: 2,
  sum: 3,
  max: 4,
  min: 5,
  setSuffixVersionstampedKey: 9,
} as const;
/** `AtomicWriteStatus`. */
export const WriteStatus = { success: 1, checkFailure: 2, writeDisabled: 5 } as const;
/** `SnapshotReadStatus`. */
export const ReadStatus = { success: 1, readDisabled: 2 } as const;

/** `ReadRange`: [start, end) in encoded keys. */
export interface ReadRange {
  start: Uint8Array;
  end: Uint8Array;
  limit: number;
  reverse: boolean;
}

/** `KvValue` and the value part of `KvEntry`. */
export interface WireValue {
  data: Uint8Array;
  encoding: number;
}

/** `KvEntry`. */
export interface WireEntry extends WireValue {
  key: Uint8Array;
  /** 10 raw bytes. */
  versionstamp: Uint8Array;
}

/** `Check`: an empty versionstamp means "the key does not exist". */
export interface Check {
  key: Uint8Array;
  versionstamp: Uint8Array;
}

/** `Mutation`. */
export interface Mutation {
  key: Uint8Array;
  value: WireValue | null;
  type: number;
  expireAtMs: number;
  sumMin: Uint8Array;
  sumMax: Uint8Array;
  sumClamp: boolean;
}

/** `AtomicWrite` (enqueues are only counted: the server refuses them). */
export interface AtomicWrite {
  checks: Check[];
  mutations: Mutation[];
  enqueues: number;
}

/** One `WatchKeyOutput`: `entry` is null when the key has no value. */
export type WatchKeyOutput = { changed: false } | { changed: true; entry: WireEntry | null };

function decode<T>(buf: Uint8Array, init: T, apply: (into: T, field: Field) => void): T {
  for (const field of readFields(buf)) apply(init, field);
  return init;
}

/** Decodes a `SnapshotRead` request. */
export function decodeSnapshotRead(buf: Uint8Array): ReadRange[] {
  const ranges: ReadRange[] = [];
  for (const field of readFields(buf)) {
    if (field.number !== 1) continue;
    ranges.push(decode<ReadRange>(bytesOf(field), {
      start: new Uint8Array(0),
      end: new Uint8Array(0),
      limit: 0,
      reverse: false,
    }, (range, f) => {
      if (f.number === 1) range.start = bytesOf(f);
      else if (f.number === 2) range.end = bytesOf(f);
      else if (f.number === 3) range.limit = intOf(f);
      else if (f.number === 4) range.reverse = intOf(f) !== 0;
    }));
  }
  return ranges;
}

function decodeValue(buf: Uint8Array): WireValue {
  return decode<WireValue>(buf, { data: new Uint8Array(0), encoding: 0 }, (value, f) => {
    if (f.number === 1) value.data = bytesOf(f);
    else if (f.number === 2) value.encoding = intOf(f);
  });
}

/** Decodes an `AtomicWrite` request. */
export function decodeAtomicWrite(buf: Uint8Array): AtomicWrite {
  const write: AtomicWrite = { checks: [], mutations: [], enqueues: 0 };
  for (const field of readFields(buf)) {
    if (field.number === 1) {
      write.checks.push(decode<Check>(bytesOf(field), {
        key: new Uint8Array(0),
        versionstamp: new Uint8Array(0),
      }, (check, f) => {
        if (f.number === 1) check.key = bytesOf(f);
        else if (f.number === 2) check.versionstamp = bytesOf(f);
      }));
    } else if (field.number === 2) {
      write.mutations.push(decode<Mutation>(bytesOf(field), {
        key: new Uint8Array(0),
        value: null,
        type: 0,
        expireAtMs: 0,
        sumMin: new Uint8Array(0),
        sumMax: new Uint8Array(0),
        sumClamp: false,
      }, (m, f) => {
        if (f.number === 1) m.key = bytesOf(f);
        else if (f.number === 2) m.value = decodeValue(bytesOf(f));
        else if (f.number === 3) m.type = intOf(f);
        else if (f.number === 4) m.expireAtMs = intOf(f);
        else if (f.number === 5) m.sumMin = bytesOf(f);
        else if (f.number === 6) m.sumMax = bytesOf(f);
        else if (f.number === 7) m.sumClamp = intOf(f) !== 0;
      }));
    } else if (field.number === 3) {
      bytesOf(field);
      write.enqueues++;
    }
  }
  return write;
}

/** Decodes a `Watch` request into its keys. */
export function decodeWatch(buf: Uint8Array): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (const field of readFields(buf)) {
    if (field.number !== 1) continue;
    let key: Uint8Array | null = null;
    for (const f of readFields(bytesOf(field))) if (f.number === 1) key = bytesOf(f);
    if (key === null) throw new ProtobufError("a watched key is missing its key");
    keys.push(key);
  }
  return keys;
}

function encodeEntry(entry: WireEntry): Uint8Array<ArrayBuffer> {
  return new ProtoWriter()
    .bytes(1, entry.key)
    .bytes(2, entry.data)
    .int(3, entry.encoding)
    .bytes(4, entry.versionstamp)
    .finish();
}

/** Encodes a `SnapshotReadOutput` (strongly consistent, status success; `read_disabled` false). */
export function encodeSnapshotReadOutput(ranges: WireEntry[][]): Uint8Array<ArrayBuffer> {
  const out = new ProtoWriter();
  for (const entries of ranges) {
    const range = new ProtoWriter();
    for (const entry of entries) range.bytes(1, encodeEntry(entry), true);
    out.bytes(1, range.finish(), true);
  }
  return out.int(4, true).int(8, ReadStatus.success).finish();
}

/** Encodes an `AtomicWriteOutput`. */
export function encodeAtomicWriteOutput(
  status: number,
  versionstamp: Uint8Array,
  failedChecks: readonly number[] = [],
): Uint8Array<ArrayBuffer> {
  return new ProtoWriter().int(1, status).bytes(2, versionstamp).packed(4, failedChecks).finish();
}

/** Encodes a `WatchOutput` with status success. */
export function encodeWatchOutput(keys: readonly WatchKeyOutput[]): Uint8Array<ArrayBuffer> {
  const out = new ProtoWriter().int(1, ReadStatus.success);
  for (const key of keys) {
    const each = new ProtoWriter().int(1, key.changed);
    if (key.changed && key.entry) each.bytes(2, encodeEntry(key.entry), true);
    out.bytes(2, each.finish(), true);
  }
  return out.finish();
}
