/**
 * The KV Connect operations done on a local `Deno.Kv` file, so that the file
 * holds exactly what the same operations would leave there when done locally:
 * keys and values are decoded from the wire and written through the local
 * KV's own API, and its versionstamps are the ones handed out. Reads and
 * writes take one lock, so a read made of several local calls is a snapshot
 * (nothing else may write the file while the server runs).
 *
 * @module
 */

import {
  type AtomicWrite,
  type Mutation,
  MutationType,
  type ReadRange,
  type WatchKeyOutput,
  type WireEntry,
  WriteStatus,
} from "./datapath.ts";
import { decodeKey, encodeKey, KeyCodecError } from "./key_codec.ts";
import { inRange, planRange } from "./ranges.ts";
import {
  fromWire,
  le64,
  RequestError,
  toWire,
  versionstampBytes,
  versionstampHex,
} from "./values.ts";

/** The outcome of an atomic write. */
export interface WriteResult {
  status: number;
  versionstamp: Uint8Array;
  failedChecks: number[];
}

function keyOf(bytes: Uint8Array): Deno.KvKey {
  try {
    return decodeKey(bytes);
  } catch (error) {
    if (error instanceof KeyCodecError) throw new RequestError(`bad key: ${error.message}`);
    throw error;
  }
}

function wireEntry(entry: Deno.KvEntry<unknown>): WireEntry {
  return {
    key: encodeKey(entry.key),
    ...toWire(entry.value),
    versionstamp: versionstampBytes(entry.versionstamp),
  };
}

function addMutation(op: Deno.AtomicOperation, m: Mutation): void {
  const key = keyOf(m.key);
  const bigintValue = () => {
    if (m.value === null || m.value.encoding !== 2) {
      throw new RequestError("sum, min and max take an LE64 (Deno.KvU64) value only");
    }
    return le64(m.value.data);
  };
  switch (m.type) {
    case MutationType.set: {
      if (m.value === null) throw new RequestError("a set mutation has no value");
      const value = fromWire(m.value);
      if (m.expireAtMs > 0) {
        op.set(key, value, { expireIn: Math.max(1, m.expireAtMs - Date.now()) });
      } else op.set(key, value);
      return;
    }
    case MutationType.delete:
      op.delete(key);
      return;
    case MutationType.sum:
      op.sum(key, bigintValue());
      return;
    case MutationType.min:
      op.min(key, bigintValue());
      return;
    case MutationType.max:
      op.max(key, bigintValue());
      return;
    default:
      throw new RequestError(`mutation type ${m.type} is not supported by this test server`);
  }
}

/** A local KV file served over KV Connect. */
export class KvStore {
  #kv: Deno.Kv;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  static async open(path: string): Promise<KvStore> {
    return new KvStore(await Deno.openKv(path));
  }

  close(): void {
    this.#kv.close();
  }

  #locked<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(work);
    this.#lock = run.catch(() => {});
    return run;
  }

  /** One snapshot read: the entries of each range, in the order asked. */
  read(ranges: readonly ReadRange[]): Promise<WireEntry[][]> {
    return this.#locked(async () => {
      const out: WireEntry[][] = [];
      for (const range of ranges) out.push(await this.#readRange(range));
      return out;
    });
  }

  async #readRange(range: ReadRange): Promise<WireEntry[]> {
    const limit = range.limit > 0 ? range.limit : Infinity;
    let pieces;
    try {
      pieces = planRange(range.start, range.end);
    } catch (error) {
      if (error instanceof KeyCodecError) throw new RequestError(error.message);
      throw error;
    }
    if (range.reverse) pieces.reverse();
    const entries: WireEntry[] = [];
    const take = (entry: Deno.KvEntryMaybe<unknown>) => {
      if (entry.versionstamp === null) return;
      const wire = wireEntry(entry);
      if (inRange(wire.key, range.start, range.end)) entries.push(wire);
    };
    for (const piece of pieces) {
      if (entries.length >= limit) break;
      if ("get" in piece) {
        take(await this.#kv.get(piece.get));
        continue;
      }
      const batchSize = Math.min(limit === Infinity ? 500 : limit + 1, 500);
      for await (const entry of this.#kv.list(piece.list, { reverse: range.reverse, batchSize })) {
        take(entry);
        if (entries.length >= limit) break;
      }
    }
    return entries;
  }

  /** One atomic write: checks, then mutations, through the local KV's own `atomic()`. */
  write(write: AtomicWrite): Promise<WriteResult> {
    if (write.enqueues > 0) {
      throw new RequestError("enqueue is not supported by this test server");
    }
    return this.#locked(async () => {
      const op = this.#kv.atomic();
      const checks = write.checks.map((check) => ({
        key: keyOf(check.key),
        versionstamp: check.versionstamp.length === 0 ? null : versionstampHex(check.versionstamp),
      }));
      let result;
      try {
        for (const check of checks) op.check(check);
        for (const mutation of write.mutations) addMutation(op, mutation);
        result = await op.commit();
      } catch (error) {
        // The local KV's own refusals (a value too large, sum on a non-U64) go back as a 400.
        if (error instanceof RequestError) throw error;
        throw new RequestError(error instanceof Error ? error.message : String(error));
      }
      if (result.ok) {
        return {
          status: WriteStatus.success,
          versionstamp: versionstampBytes(result.versionstamp),
          failedChecks: [],
        };
      }
      const now = await this.#kv.getMany(checks.map((check) => check.key));
      const failedChecks = checks.flatMap((check, i) =>
        now[i].versionstamp === check.versionstamp ? [] : [i]
      );
      return { status: WriteStatus.checkFailure, versionstamp: new Uint8Array(0), failedChecks };
    });
  }

  /**
   * Watches keys on the local KV: yields, per change, which keys changed and
   * their new entries (all of them the first time), as KV Connect's
   * `WatchKeyOutput`s.
   */
  watch(keys: readonly Uint8Array[]): ReadableStream<WatchKeyOutput[]> {
    const decoded = keys.map(keyOf);
    const sent: (string | null | undefined)[] = keys.map(() => undefined);
    let local;
    try {
      local = this.#kv.watch(decoded);
    } catch (error) {
      throw new RequestError(error instanceof Error ? error.message : String(error));
    }
    return local.pipeThrough(
      new TransformStream<Deno.KvEntryMaybe<unknown>[], WatchKeyOutput[]>({
        transform(entries, controller) {
          let any = false;
          const outputs = entries.map((entry, i): WatchKeyOutput => {
            if (sent[i] === entry.versionstamp) return { changed: false };
            any = true;
            sent[i] = entry.versionstamp;
            if (entry.versionstamp === null) return { changed: true, entry: null };
            return { changed: true, entry: wireEntry(entry) };
          });
          if (any) controller.enqueue(outputs);
        },
      }),
    );
  }
}
