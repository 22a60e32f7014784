/**
 * The one pass-through body of the gateway: it re-emits another stream's
 * chunks one pull at a time (no buffering, no tee), lets an observer look at
 * each chunk right after it is handed on, and reports once when the stream
 * ends, however it ends. Concurrency leases use it to free a slot the moment
 * a stream finishes or the client goes away; preamble failover uses it to put
 * back the events it held; usage accounting uses it to read token counts.
 *
 * A pull-based byte stream on purpose. Any JS stream in front of a response
 * costs throughput (Deno can no longer hand the upstream body to the client
 * natively), but measured on a 20-event SSE stream through a bare proxy, a
 * byte stream relays about a third more requests per second than a default
 * `ReadableStream` or a `pipeThrough(new TransformStream())`, which cost the
 * same. Enqueuing into a byte stream transfers the chunk's buffer, so an
 * observer sees each chunk just before it is enqueued, in the same tick: it
 * can look, but it cannot delay.
 *
 * @module
 */

/** How a relayed stream ended. */
export type StreamEnd = "done" | "error" | "cancel";

/** Watches a relayed stream. */
export interface StreamObserver {
  /**
   * Sees each chunk synchronously, just before it is relayed. Returns the
   * chunk to relay: normally `chunk` itself; a rewriting observer returns a
   * replacement, or `null` to relay nothing now.
   */
  chunk?(chunk: Uint8Array): Uint8Array | null;
  /** Bytes to relay after the last chunk, if any. */
  flush?(): Uint8Array | null;
  /** Called exactly once, when the stream ends. */
  end(how: StreamEnd): void;
}

/**
 * Relays `source` (after any `prefix` chunks, then a read already `pending`
 * on its reader), reporting to `observer` (or just calling it at the end).
 * Cancelling the result cancels the source.
 */
export function observeStream(
  source: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array>,
  observer: StreamObserver | ((how: StreamEnd) => void),
  prefix: Uint8Array[] = [],
  pending?: Promise<ReadableStreamReadResult<Uint8Array>>,
): ReadableStream<Uint8Array> {
  const watcher: StreamObserver = typeof observer === "function" ? { end: observer } : observer;
  const reader = source instanceof ReadableStream ? source.getReader() : source;
  let ended = false;
  const end = (how: StreamEnd) => {
    if (ended) return;
    ended = true;
    watcher.end(how);
  };
  const held = [...prefix];
  return new ReadableStream({
    type: "bytes",
    // A pull must enqueue, close or error before it returns: a byte stream whose
    // pull returns with nothing enqueued is never pulled again, so a chunk the
    // observer holds back (or drops) reads the next one in the same pull.
    async pull(controller) {
      for (;;) {
        const next = held.shift();
        if (next) {
          if (relay(controller, next)) return;
          continue;
        }
        try {
          const read = pending ?? reader.read();
          pending = undefined;
          const { done, value } = await read;
          if (done) {
            const tail = watcher.flush?.();
            if (tail && tail.byteLength > 0) controller.enqueue(tail as Uint8Array<ArrayBuffer>);
            controller.close();
            end("done");
            return;
          }
          if (relay(controller, value)) return;
        } catch (error) {
          controller.error(error);
          end("error");
          return;
        }
      }
    },
    async cancel(reason) {
      end("cancel");
      await reader.cancel(reason).catch(() => {});
    },
  });

  /** Hands `chunk` (as the observer rewrites it) on; false when nothing was enqueued. */
  function relay(controller: ReadableByteStreamController, chunk: Uint8Array): boolean {
    const out = watcher.chunk ? watcher.chunk(chunk) : chunk;
    if (!out || out.byteLength === 0) return false;
    controller.enqueue(out as Uint8Array<ArrayBuffer>);
    return true;
  }
}

/** Calls `onEnd` once a response's body ends (at once when it has none). */
export function onResponseEnd(response: Response, onEnd: (how: StreamEnd) => void): Response {
  if (!response.body) {
    onEnd("done");
    return response;
  }
  return new Response(observeStream(response.body, onEnd), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
