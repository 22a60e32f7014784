/**
 * Server-sent events for the translators, read and written incrementally.
 * {@linkcode SseParser} is a thin layer over the gateway's one parser
 * (`lib/http/sse.ts`): it takes bytes or text cut anywhere (inside a
 * multi-byte character, between CR and LF, mid-field) and hands back each
 * event the moment its blank line arrives; {@linkcode formatSse} writes one
 * event.
 *
 * Reading follows the WHATWG event-stream grammar: lines end in CRLF, LF or
 * CR; a line starting with `:` is a comment; `field: value` drops one space
 * after the colon; a line with no colon is a field with an empty value;
 * several `data` lines join with LF; a leading BOM is skipped; an event with
 * no `data` line is not dispatched. One leniency: at the end of input an
 * event still waiting for its blank line is dispatched (upstreams often end
 * on `data: [DONE]` with no trailing blank line), where the standard drops it.
 *
 * @module
 */

import { type SseEvent, SseParser as LineParser } from "../http/sse.ts";

export type { SseEvent };

/** The data of the end-of-stream marker in OpenAI Chat Completions streams. */
export const SSE_DONE = "[DONE]";

/** An incremental event-stream parser: bytes or text in, the events they complete out. */
export class SseParser {
  readonly #decoder = new TextDecoder();
  #events: SseEvent[] = [];
  readonly #parser = new LineParser({
    event: (event, _raw, hasData) => {
      if (!hasData) return;
      // An empty `event:` field names no event.
      if (event.event === "") delete event.event;
      this.#events.push(event);
    },
  });

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    this.#parser.push(text);
    return this.#take();
  }

  /** Ends the input; returns the last event if one was still open. */
  finish(): SseEvent[] {
    this.#parser.push(this.#decoder.decode());
    this.#parser.end();
    return this.#take();
  }

  #take(): SseEvent[] {
    const events = this.#events;
    this.#events = [];
    return events;
  }
}

/** Writes one event (LF line ends; data with line breaks becomes several `data` lines). */
export function formatSse(event: SseEvent): string {
  let out = "";
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.retry !== undefined) out += `retry: ${event.retry}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + "\n";
}

/** Writes a JSON payload as one event, named when `event` is given. */
export function jsonEvent(payload: unknown, event?: string): SseEvent {
  const data = JSON.stringify(payload);
  return event === undefined ? { data } : { event, data };
}
