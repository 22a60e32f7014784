/**
 * Bounded body reading. The request body is read once, up to the configured
 * limit, so it can be replayed to each account a request tries; an error body
 * is read only as far as classification needs. A request body that stalls
 * (no byte for `idleMs`; a small one, not whole within `idleMs`) is a 408, so
 * a client that never sends its body does not hold the request (its slot, its
 * buffered bytes) open. `Deno.serve` keeps the connection itself open while a
 * read of its body is pending: the client's next byte or its leaving ends it.
 *
 * @module
 */

import { Deadlines } from "./deadlines.ts";
import { HttpError } from "./errors.ts";

/** The request body exceeded the configured limit: a 413. */
export class BodyTooLargeError extends HttpError {
  constructor(readonly limit: number) {
    super(413, `request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** The request body stalled: a 408. */
export class BodyTimeoutError extends HttpError {
  constructor(readonly idleMs: number) {
    super(408, `the request body stalled: no data for ${idleMs / 1000} s`);
    this.name = "BodyTimeoutError";
  }
}

/** Default wait for the next bytes of a request body. */
export const DEFAULT_BODY_IDLE_MS = 30_000;

/** Bodies up to this size (declared) are read whole in one call, before the key's concurrency slot is taken. */
export const SMALL_BODY_BYTES = 1024 * 1024;

/** Methods whose requests have no body (`request.body` is `null`). */
const BODILESS = new Set(["GET", "HEAD", "CONNECT"]);

/** Is this a body worth holding a concurrency slot for before reading it (large or of unknown length)? */
export function isLargeBody(request: Request): boolean {
  if (BODILESS.has(request.method) || request.body === null) return false;
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  return !(declared <= SMALL_BODY_BYTES);
}

/**
 * Reads a whole request body, failing fast once it passes `limit` bytes, and
 * with {@linkcode BodyTimeoutError} once no byte came for `idleMs`.
 */
export async function readRequestBody(
  request: Request,
  limit: number,
  idleMs = DEFAULT_BODY_IDLE_MS,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (
    declared > 0 && declared <= limit && declared <= SMALL_BODY_BYTES &&
    !BODILESS.has(request.method)
  ) {
    // A small body of declared length (HTTP framing holds it to that length): read whole,
    // within one idle period. Touching `request.body` would build a stream around bytes
    // Deno already holds; this was half of the cost of reading a small body.
    const bytes = await beforeStall(request.bytes(), idleMs) as Uint8Array<ArrayBuffer>;
    if (bytes.byteLength > limit) throw new BodyTooLargeError(limit);
    return bytes;
  }
  if (request.body === null) return null;
  if (declared > limit) {
    await request.body.cancel().catch(() => {});
    throw new BodyTooLargeError(limit);
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
    try {
      next = await beforeStall(reader.read(), idleMs);
    } catch (error) {
      if (error instanceof BodyTimeoutError) await reader.cancel().catch(() => {});
      throw error;
    }
    const { done, value } = next;
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

/** Every body read's stall deadline, behind one timer (see `deadlines.ts`). */
const stalls = new Deadlines();

/**
 * `promise`, or a {@linkcode BodyTimeoutError} when it has not settled within
 * `idleMs`. No `Promise.race` and no timer of its own: together they were 3%
 * of the gateway's CPU for a small JSON request.
 */
function beforeStall<T>(promise: Promise<T>, idleMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = stalls.after(idleMs, () => reject(new BodyTimeoutError(idleMs)));
    promise.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error) => {
        // A read abandoned at the timeout fails when the body is dropped: already settled.
        cancel();
        reject(error);
      },
    );
  });
}

function concat(chunks: Uint8Array<ArrayBuffer>[], total: number): Uint8Array<ArrayBuffer> {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** A body read whole, or (past the limit) what was read so far and the rest still to read. */
export type WholeRead =
  | { kind: "whole"; bytes: Uint8Array<ArrayBuffer> }
  | { kind: "partial"; held: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array> };

/**
 * Reads a response body whole when it is at most `limit` bytes; a longer one
 * comes back as the chunks read so far and its reader, to be streamed on.
 * Throws when the body breaks off.
 */
export async function readWhole(
  body: ReadableStream<Uint8Array>,
  limit: number,
): Promise<WholeRead> {
  const reader = body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { kind: "whole", bytes: concat(chunks, total) };
    chunks.push(value as Uint8Array<ArrayBuffer>);
    total += value.byteLength;
    if (total > limit) return { kind: "partial", held: chunks, reader };
  }
}

/** The first bytes of a stream (see {@linkcode readHead}). */
export interface StreamHead {
  /** The chunks read, `limit` bytes or a little more. */
  held: Uint8Array<ArrayBuffer>[];
  /** The whole stream is in `held`. */
  complete: boolean;
  /** A read still under way when the wait was stopped: the rest starts with it. */
  pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
  /** The stream's reader, for the rest (or to cancel it). */
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

/**
 * Reads a stream's first `limit` bytes, keeping the rest readable. Stops
 * waiting, with what it has, when `signal` aborts; a stream that breaks is
 * left for its reader to report when the rest is read.
 */
export async function readHead(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  signal?: AbortSignal,
): Promise<StreamHead> {
  const reader = stream.getReader();
  const held: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  const { stopped, release } = stopWhen(signal);
  try {
    while (total < limit) {
      const pending = reader.read();
      const next = await Promise.race([pending, stopped]);
      if (next === "stopped") {
        pending.catch(() => {}); // whoever reads on hears of it; unhandled until then
        return { held, complete: false, pending, reader };
      }
      if (next.done) return { held, complete: true, reader };
      held.push(next.value as Uint8Array<ArrayBuffer>);
      total += next.value.byteLength;
    }
  } catch {
    // Broken: what arrived is the head; the rest, read on, reports the error.
  } finally {
    release();
  }
  return { held, complete: false, reader };
}

/**
 * `"stopped"` once `signal` aborts (at once when it has), to race a read
 * against; `release` takes the listener off once the wait is over.
 */
export function stopWhen(
  signal: AbortSignal | undefined,
): { stopped: Promise<"stopped">; release(): void } {
  let stop = () => {};
  const stopped = new Promise<"stopped">((resolve) => stop = () => resolve("stopped"));
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  return { stopped, release: () => signal?.removeEventListener("abort", stop) };
}

/** The chunks as one array. */
export function joined(chunks: Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  return concat(chunks, total);
}
