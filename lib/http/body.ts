/**
 * Bounded body reading. The request body is read once, up to the configured
 * limit, so it can be replayed to each account a request tries; an error body
 * is read only as far as classification needs.
 *
 * @module
 */

import { HttpError } from "./errors.ts";

/** The request body exceeded the configured limit: a 413. */
export class BodyTooLargeError extends HttpError {
  constructor(readonly limit: number) {
    super(413, `request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** Methods whose requests have no body (`request.body` is `null`). */
const BODILESS = new Set(["GET", "HEAD", "CONNECT"]);

/** Reads a whole request body, failing fast once it passes `limit` bytes. */
export async function readRequestBody(
  request: Request,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > 0 && declared <= limit && !BODILESS.has(request.method)) {
    // A body of declared length within the limit (HTTP framing holds it to that length):
    // read whole. Touching `request.body` would build a stream around bytes Deno already
    // holds; this was half of the cost of reading a small body.
    const bytes = await request.bytes() as Uint8Array<ArrayBuffer>;
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
    const { done, value } = await reader.read();
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

/**
 * Reads at most `limit` bytes of a stream as text, then cancels the rest.
 * Stops early, with what it has, when `signal` aborts: an upstream that never
 * finishes its error body must not hold the request forever.
 */
export async function readPrefixText(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  signal?: AbortSignal,
): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  const stop = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  try {
    while (total < limit && !signal?.aborted) {
      const { done, value } = await reader.read();
      if (done || value === undefined) break;
      chunks.push(value as Uint8Array<ArrayBuffer>);
      total += value.byteLength;
    }
  } catch {
    // A broken or cancelled body: classify what arrived.
  } finally {
    signal?.removeEventListener("abort", stop);
    // Not awaited: on a tee() branch, cancel settles only once the other branch
    // is cancelled or read to its end, and that branch is still ours to hand on.
    void stop();
  }
  return new TextDecoder().decode(concat(chunks, total).subarray(0, limit));
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
