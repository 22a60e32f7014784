/**
 * Server-sent events: the gateway's one parser and one writer.
 *
 * {@linkcode SseParser} reads an event stream incrementally, as text arrives
 * cut anywhere, with LF, CRLF or CR line ends (a CR ending a chunk waits
 * for the next, which may start with its LF), a leading BOM skipped, and the
 * `id` (the last one stays in force) and `retry` fields kept on the event.
 * The translators read through it too (`lib/protocols/sse.ts`). Each complete line is read once and
 * reported as a field line (to a consumer that works line by line, such as
 * the usage scanner) and, at each blank line, the event it closes, with its
 * exact text when asked (the usage-chunk stripper forwards what it keeps
 * byte for byte). It is a plain object fed synchronously by the one relayed
 * stream (`observed_stream.ts`), never a `TransformStream` in front of a body,
 * which measured slower.
 *
 * {@linkcode sseEvent}, {@linkcode sseComment} and {@linkcode sseRetry} write
 * them: the dashboard's snapshots, a queued request's keep-alives and error
 * events.
 *
 * @module
 */

/** One event: its `event:` name, if it has one, and its `data:` lines joined by `\n`. */
export interface SseEvent {
  event?: string;
  data: string;
  /** The last event id in force, when the stream sent one. */
  id?: string;
  /** A reconnection delay sent with this event, in milliseconds. */
  retry?: number;
}

/** What an {@linkcode SseParser} reports; each callback is optional. */
export interface SseSink {
  /** A complete field line (`data`, `event`, `id`, ...), with the event name in force. */
  line?(field: string, value: string, event: string | undefined): void;
  /**
   * A blank line closed `event`; `raw` is its text (with the blank line) when
   * the parser keeps it; `hasData` says whether it had a `data` line at all
   * (the standard dispatches only those).
   */
  event?(event: SseEvent, raw: string, hasData: boolean): void;
}

/** Options of {@linkcode SseParser}. */
export interface SseParserOptions {
  /** Keep each event's exact text for {@linkcode SseSink.event}. */
  raw?: boolean;
  /** An unfinished line longer than this is dropped (a runaway line); no limit by default. */
  maxLine?: number;
}

/** Reads an event stream incrementally. */
export class SseParser {
  #unfinished = "";
  #name: string | undefined;
  #data: string[] = [];
  #raw = "";
  #id: string | undefined;
  #retry: number | undefined;
  #started = false;
  readonly #keepRaw: boolean;
  readonly #maxLine: number;

  constructor(private readonly sink: SseSink, options: SseParserOptions = {}) {
    this.#keepRaw = options.raw ?? false;
    this.#maxLine = options.maxLine ?? Infinity;
  }

  /** The text of the line not finished yet. */
  get unfinished(): string {
    return this.#unfinished;
  }

  /** True at an event boundary: nothing unfinished, no event open. */
  get idle(): boolean {
    return this.#unfinished === "" && this.#raw === "" && this.#name === undefined &&
      this.#data.length === 0 && this.#retry === undefined;
  }

  /** Reads the complete lines `text` finishes; keeps the rest for the next call. */
  push(text: string): void {
    const joined = this.#unfinished + this.#skipBom(text);
    if (joined.includes("\r")) return this.#pushWithCr(joined);
    let start = 0;
    for (let end = joined.indexOf("\n"); end >= 0; end = joined.indexOf("\n", start)) {
      const line = end > start && joined.charCodeAt(end - 1) === CR
        ? joined.slice(start, end - 1)
        : joined.slice(start, end);
      this.#line(line, this.#keepRaw ? joined.slice(start, end + 1) : "");
      start = end + 1;
    }
    this.#keep(start === 0 ? joined : joined.slice(start));
  }

  /** {@linkcode push} for text with CRs: CRLF and a lone CR both end a line. */
  #pushWithCr(joined: string): void {
    let start = 0;
    let lf = joined.indexOf("\n");
    let cr = joined.indexOf("\r");
    for (;;) {
      if (lf >= 0 && lf < start) lf = joined.indexOf("\n", start);
      if (cr >= 0 && cr < start) cr = joined.indexOf("\r", start);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
        if (cr === joined.length - 1) break;
        end = cr;
        next = joined.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      this.#line(joined.slice(start, end), this.#keepRaw ? joined.slice(start, next) : "");
      start = next;
    }
    this.#keep(start === 0 ? joined : joined.slice(start));
  }

  /** The stream's first text loses a leading byte order mark. */
  #skipBom(text: string): string {
    if (this.#started || text === "") return text;
    this.#started = true;
    return text.charCodeAt(0) === BOM ? text.slice(1) : text;
  }

  /**
   * Takes `text` in bulk, for a consumer that needs none of its lines one by
   * one (the usage scanner's content-only chunks): returns the complete lines
   * it finishes, to be scanned at once, keeps the unfinished rest, and tracks
   * only the event name in force; the data of skimmed lines is not kept.
   */
  skim(text: string): string {
    const joined = this.#unfinished + this.#skipBom(text);
    const cut = joined.lastIndexOf("\n");
    if (cut < 0) {
      this.#keep(joined);
      return "";
    }
    const complete = joined.slice(0, cut + 1);
    this.#keep(joined.slice(cut + 1));
    this.#name = nameAfter(complete, this.#name);
    return complete;
  }

  /**
   * The stream ended: an unfinished last line still counts, and an event no
   * blank line closed is reported too, so no text is lost.
   */
  end(): void {
    const rest = this.#unfinished;
    this.#unfinished = "";
    if (rest !== "") this.#line(rest.endsWith("\r") ? rest.slice(0, -1) : rest, rest);
    if (!this.idle) this.#dispatch();
  }

  #keep(unfinished: string): void {
    this.#unfinished = unfinished.length > this.#maxLine ? "" : unfinished;
  }

  #line(line: string, raw: string): void {
    if (this.#keepRaw) this.#raw += raw;
    if (line === "") {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === COLON) return; // a comment
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1
      ? ""
      : line.charCodeAt(colon + 1) === SPACE
      ? line.slice(colon + 2)
      : line.slice(colon + 1);
    if (field === "event") this.#name = value;
    else if (field === "data" && this.sink.event) this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.#retry = Number(value);
    this.sink.line?.(field, value, this.#name);
  }

  #dispatch(): void {
    const event: SseEvent = this.#name === undefined
      ? { data: this.#data.join("\n") }
      : { event: this.#name, data: this.#data.join("\n") };
    if (this.#id !== undefined) event.id = this.#id;
    if (this.#retry !== undefined) event.retry = this.#retry;
    const raw = this.#raw;
    const hasData = this.#data.length > 0;
    this.#name = undefined;
    this.#data = [];
    this.#raw = "";
    this.#retry = undefined;
    this.sink.event?.(event, raw, hasData);
  }
}

const CR = 0x0d;
const LF = 0x0a;
const BOM = 0xfeff;
const COLON = 0x3a;
const SPACE = 0x20;

/** The event name in force after `lines` (whole lines), given the one before them. */
function nameAfter(lines: string, before: string | undefined): string | undefined {
  const named = lines.lastIndexOf("\nevent:");
  const at = named >= 0 ? named + 1 : lines.startsWith("event:") ? 0 : -1;
  let blank = Math.max(lines.lastIndexOf("\n\n"), lines.lastIndexOf("\n\r\n"));
  if (blank < 0 && (lines.startsWith("\n") || lines.startsWith("\r\n"))) blank = 0;
  if (at < 0 || at < blank) return blank >= 0 ? undefined : before;
  const line = lines.slice(at + 6, lines.indexOf("\n", at)).replace(/\r$/, "");
  return line.startsWith(" ") ? line.slice(1) : line;
}

/** Writes one event: an optional `event:` name, then each line of `data` as a `data:` line. */
export function sseEvent(data: string, event?: string): string {
  const name = event === undefined ? "" : `event: ${event}\n`;
  return `${name}data: ${data.split("\n").join("\ndata: ")}\n\n`;
}

/** Writes a comment line (a keep-alive), which clients ignore. */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** Writes the reconnection delay a client should use, in milliseconds. */
export function sseRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}
