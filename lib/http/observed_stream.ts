/**
 * A pass-through body: it re-emits another stream's chunks one pull at a
 * time (no buffering, no tee) and reports once when the stream ends, however
 * it ends. Concurrency leases use it to free a slot the moment a stream
 * finishes or the client goes away; preamble failover uses it to put back
 * the events it held.
 *
 * @module
 */

/** How a relayed stream ended. */
export type StreamEnd = "done" | "error" | "cancel";

/**
 * Relays `source` (after any `prefix` chunks, then a read already `pending`
 * on its reader), calling `onEnd` exactly once.
 * Cancelling the result cancels the source.
 */
export function observeStream(
  source: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array>,
  onEnd: (how: StreamEnd) => void,
  prefix: Uint8Array[] = [],
  pending?: Promise<ReadableStreamReadResult<Uint8Array>>,
): ReadableStream<Uint8Array> {
  const reader = source instanceof ReadableStream ? source.getReader() : source;
  let ended = false;
  const end = (how: StreamEnd) => {
    if (ended) return;
    ended = true;
    onEnd(how);
  };
  const held = [...prefix];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = held.shift();
      if (next) {
        controller.enqueue(next);
        return;
      }
      try {
        const read = pending ?? reader.read();
        pending = undefined;
        const { done, value } = await read;
        if (done) {
          controller.close();
          end("done");
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        end("error");
      }
    },
    async cancel(reason) {
      end("cancel");
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
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
