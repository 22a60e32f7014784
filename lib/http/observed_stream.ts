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
  /**
   * Work to finish before the stream closes (after its last bytes), when
   * there is any: what the client's next request may depend on.
   */
  beforeClose?(): Promise<void> | undefined;
  /** Called exactly once, when the stream ends. */
  end(how: StreamEnd): void;
}

/** Where an observed stream's bytes come from, kept so a stream observed again can be fused. */
interface Source {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  prefix: Uint8Array[];
  pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
  watcher: StreamObserver;
  /** Set once the stream was pulled or fused: its source is no longer free to take. */
  taken: boolean;
}

/** The source of each observed stream not yet read, by stream. */
const sources = new WeakMap<ReadableStream<Uint8Array>, Source>();

/**
 * Relays `source` (after any `prefix` chunks, then a read already `pending`
 * on its reader), reporting to `observer` (or just calling it at the end).
 * Cancelling the result cancels the source.
 *
 * Observing a stream that this function made and nobody has read yet makes
 * no second stream: the new one reads the first one's source, each chunk
 * passing its observer and then this one. Every JS stream in front of a
 * response costs per chunk, and a relayed answer may be observed twice (the
 * preamble hold or a concurrency slot, then the usage tap).
 */
export function observeStream(
  source: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array>,
  observer: StreamObserver | ((how: StreamEnd) => void),
  prefix: Uint8Array[] = [],
  pending?: Promise<ReadableStreamReadResult<Uint8Array>>,
): ReadableStream<Uint8Array> {
  const watcher: StreamObserver = typeof observer === "function" ? { end: observer } : observer;
  const inner = source instanceof ReadableStream ? sources.get(source) : undefined;
  if (inner && !inner.taken && prefix.length === 0 && !pending) {
    inner.taken = true;
    return relayed({
      reader: inner.reader,
      prefix: inner.prefix,
      pending: inner.pending,
      watcher: chained(inner.watcher, watcher),
      taken: false,
    });
  }
  const reader = source instanceof ReadableStream ? source.getReader() : source;
  return relayed({ reader, prefix: [...prefix], pending, watcher, taken: false });
}

/** The one pull-based byte stream over a source. */
function relayed(source: Source): ReadableStream<Uint8Array> {
  const { reader, watcher } = source;
  let ended = false;
  const end = (how: StreamEnd) => {
    if (ended) return;
    ended = true;
    watcher.end(how);
  };
  const held = source.prefix;
  const stream: ReadableStream<Uint8Array> = new ReadableStream({
    type: "bytes",
    // A pull must enqueue, close or error before it returns: a byte stream whose
    // pull returns with nothing enqueued is never pulled again, so a chunk the
    // observer holds back (or drops) reads the next one in the same pull.
    async pull(controller) {
      source.taken = true;
      for (;;) {
        const next = held.shift();
        if (next) {
          if (relay(controller, next)) return;
          continue;
        }
        try {
          const read = source.pending ?? reader.read();
          source.pending = undefined;
          const { done, value } = await read;
          if (done) {
            const tail = watcher.flush?.();
            if (tail && tail.byteLength > 0) controller.enqueue(tail as Uint8Array<ArrayBuffer>);
            const pendingWork = watcher.beforeClose?.();
            if (pendingWork) {
              await pendingWork;
              if (ended) return; // the client went away meanwhile
            }
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
      source.taken = true;
      end("cancel");
      await reader.cancel(reason).catch(() => {});
    },
  });
  sources.set(stream, source);
  return stream;

  /** Hands `chunk` (as the observer rewrites it) on; false when nothing was enqueued. */
  function relay(controller: ReadableByteStreamController, chunk: Uint8Array): boolean {
    const out = watcher.chunk ? watcher.chunk(chunk) : chunk;
    if (!out || out.byteLength === 0) return false;
    controller.enqueue(out as Uint8Array<ArrayBuffer>);
    return true;
  }
}

/**
 * Two observers as one: each chunk passes `first`, then what it relays passes
 * `second`; `first`'s tail passes `second` before `second`'s own; both hear the end.
 */
function chained(first: StreamObserver, second: StreamObserver): StreamObserver {
  const through = (chunk: Uint8Array | null): Uint8Array | null =>
    chunk && chunk.byteLength > 0 && second.chunk ? second.chunk(chunk) : chunk;
  return {
    chunk: (chunk) => through(first.chunk ? first.chunk(chunk) : chunk),
    flush() {
      const tail = through(first.flush?.() ?? null);
      const own = second.flush?.() ?? null;
      if (!tail || tail.byteLength === 0) return own;
      if (!own || own.byteLength === 0) return tail;
      const both = new Uint8Array(tail.byteLength + own.byteLength);
      both.set(tail);
      both.set(own, tail.byteLength);
      return both;
    },
    beforeClose() {
      const works = [first.beforeClose?.(), second.beforeClose?.()].filter((work) => work);
      return works.length === 0 ? undefined : Promise.all(works).then(() => {});
    },
    end(how) {
      first.end(how);
      second.end(how);
    },
  };
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
