/**
 * A streaming request that must wait longer than `keepAliveMs` for a slot
 * gets its answer at once: a `200` event stream (marked
 * `x-switchyard-queued: true`, with no `x-switchyard-account`: no account is
 * chosen yet) that carries `: keep-alive` comments while it waits. Once a
 * slot frees, the request is forwarded and the upstream's stream continues
 * it; an error answer, or a wait that runs out, ends it with an SSE `error`
 * event in the surface's shape.
 *
 * @module
 */

import { errorEvent, type Surface } from "../http/errors.ts";
import { sseComment, sseEvent } from "../http/sse.ts";
import type { Held, SlotWait } from "./queue.ts";

/** Marks the gateway's own event stream for a request still waiting for a slot. */
export const QUEUED_HEADER = "x-switchyard-queued";

/** The waiting stream, and what forwarding came to once a slot freed. */
export interface WaitingStream<T> {
  response: Response;
  /** The forwarding result; `undefined` when the wait ran out or the client left first. */
  result: Promise<T | undefined>;
  /** Settles when the stream is done (for shutdown). */
  done: Promise<void>;
}

/** Answers now with an event stream; forwards once `wait` gets a slot. */
export function waitingStream<T extends { response: Response }>(
  wait: SlotWait,
  surface: Surface,
  forward: (held: Held) => Promise<T>,
): WaitingStream<T> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const write = (text: string) => writer.write(encoder.encode(text));
  const { keepAliveMs } = wait.settings;
  const result = Promise.withResolvers<T | undefined>();
  const done = (async () => {
    try {
      await write(sseComment("waiting for a free account slot"));
      let nextPing = Date.now() + keepAliveMs;
      let held: Held | undefined;
      while (!held) {
        const now = Date.now();
        if (wait.signal.aborted) return;
        if (now >= wait.deadline) {
          await write(errorEvent(surface, 429, wait.timedOut()));
          await writer.close();
          return;
        }
        if (now >= nextPing) {
          await write(sseComment("keep-alive"));
          nextPing = now + keepAliveMs;
        }
        await wait.changed(Math.min(wait.deadline - now, nextPing - now));
        held = await wait.grab();
      }
      const forwarded = await forward(held);
      result.resolve(forwarded);
      const { response } = forwarded;
      if (response.status < 400 && response.body) {
        writer.releaseLock();
        await response.body.pipeTo(writable);
        return;
      }
      const text = response.body ? await response.text() : "";
      await write(errorEventFromBody(surface, response.status, text));
      await writer.close();
    } catch {
      await writable.abort().catch(() => {});
    } finally {
      result.resolve(undefined);
      wait.releaseKey();
    }
  })();
  const response = new Response(readable, {
    status: 200,
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      [QUEUED_HEADER]: "true",
    },
  });
  return { response, result: result.promise, done };
}

/** An upstream error response, re-sent as an SSE error event. */
function errorEventFromBody(surface: Surface, status: number, text: string): string {
  try {
    const json = JSON.parse(text);
    if (json !== null && typeof json === "object" && !Array.isArray(json)) {
      return sseEvent(JSON.stringify({ type: "error", ...json }), "error");
    }
  } catch {
    // not JSON: fall through
  }
  return errorEvent(surface, status, `upstream answered ${status}`);
}
