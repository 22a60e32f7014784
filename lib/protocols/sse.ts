/**
 * Server-sent events, read and written incrementally. {@linkcode SseParser}
 * takes bytes or text cut anywhere (inside a multi-byte character, between
 * CR and LF, mid-field) and hands back each event the moment its blank line
 * arrives; {@linkcode formatSse} writes one event.
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

/** One event of an event stream. */
export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
  retry?: number;
}

/** The data of the end-of-stream marker in OpenAI Chat Completions streams. */
export const SSE_DONE = "[DONE]";

/** An incremental event-stream parser. */
export class SseParser {
  #decoder = new TextDecoder();
  #line = "";
  #afterCr = false;
  #started = false;
  #event: string | undefined;
  #data: string[] = [];
  #id: string | undefined;
  #retry: number | undefined;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    return this.#feed(text);
  }

  /** Ends the input; returns the last event if one was still open. */
  finish(): SseEvent[] {
    const events = this.#feed(this.#decoder.decode());
    if (this.#line !== "") this.#field(this.#line);
    this.#line = "";
    const last = this.#dispatch();
    if (last) events.push(last);
    return events;
  }

  #feed(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) start = 1;
    }
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== 10 && code !== 13) continue;
      // An LF right after a CR ends the same line (the CR may have ended the previous chunk).
      const skip = code === 10 && this.#afterCr && i === start && this.#line === "";
      this.#afterCr = code === 13;
      if (!skip) {
        this.#line += text.slice(start, i);
        const event = this.#endLine();
        if (event) events.push(event);
      }
      start = i + 1;
    }
    if (start < text.length) {
      this.#line += text.slice(start);
      this.#afterCr = false;
    }
    return events;
  }

  #endLine(): SseEvent | undefined {
    const line = this.#line;
    this.#line = "";
    if (line === "") return this.#dispatch();
    this.#field(line);
    return undefined;
  }

  #field(line: string): void {
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") this.#data.push(value);
    else if (name === "event") this.#event = value;
    else if (name === "id" && !value.includes("\0")) this.#id = value;
    else if (name === "retry" && /^\d+$/.test(value)) this.#retry = Number(value);
  }

  #dispatch(): SseEvent | undefined {
    const data = this.#data;
    const event: SseEvent = { data: data.join("\n") };
    if (this.#event !== undefined && this.#event !== "") event.event = this.#event;
    if (this.#id !== undefined) event.id = this.#id;
    if (this.#retry !== undefined) event.retry = this.#retry;
    this.#data = [];
    this.#event = undefined;
    this.#retry = undefined;
    return data.length > 0 ? event : undefined;
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
