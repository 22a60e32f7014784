/**
 * The usage observer on a relayed body, built on {@linkcode observeStream}.
 * Each chunk goes to the client the moment it arrives: the scanner reads it
 * synchronously on its way through and never holds it back. When the stream ends, errors, or the client
 * goes away, `onEnd` runs exactly once with what was seen so far, so an
 * aborted stream still counts the tokens it delivered.
 *
 * The one exception is strip mode, used when the gateway itself asked an
 * OpenAI chat stream for its usage chunk (`stream_options.include_usage`) and
 * the client did not: there the final usage event is removed, so complete
 * events are forwarded as they complete, and only an event's unfinished tail
 * waits for its next chunk.
 *
 * A translated stream (an upstream of another API than the client's) is
 * read here in the upstream's own API, where its usage is, and handed on in
 * the client's: each upstream chunk goes to the {@linkcode ChunkTranslator}
 * right after the scanner saw it, and what that returns is relayed in the
 * same pull (one pass, nothing buffered beyond an unfinished event).
 *
 * @module
 */

import type { Surface } from "../http/errors.ts";
import { observeStream } from "../http/observed_stream.ts";
import { SseParser } from "../http/sse.ts";
import { isChatUsageChunk } from "../protocols/chat/events.ts";
import {
  SseUsageScanner,
  usageFromJsonEnds,
  usageFromJsonText,
  type UsageReport,
} from "./extract.ts";

/** Largest JSON body kept whole for parsing; past it only the head and tail are kept. */
const JSON_KEEP_LIMIT = 4 * 1024 * 1024;
const JSON_END_BYTES = 64 * 1024;

/** How a relayed body ended. */
export type BodyEnd = "complete" | "aborted" | "error";

/** What the tap reports when the body is done. */
export interface TapResult extends UsageReport {
  end: BodyEnd;
  bytes: number;
}

/** Rewrites an upstream event stream for the client, chunk by chunk (`StreamTranslator`). */
export interface ChunkTranslator {
  /** Upstream bytes, or their text when already decoded (never both for one stream). */
  push(chunk: Uint8Array | string): string;
  finish(): string;
}

/** Options for {@linkcode tapBody}. */
export interface TapOptions {
  surface: Surface;
  contentType: string;
  /** Whether to look for usage at all (success statuses only). */
  scanUsage: boolean;
  /**
   * Remove OpenAI's final chat usage event (the gateway asked for it, not the
   * client). A function is asked when that event arrives: a queued stream
   * learns which account serves it (and so whether it was asked) only then.
   */
  stripUsageChunk: boolean | (() => boolean);
  /** The client request's signal: aborted when the client disconnected. */
  clientSignal?: AbortSignal;
  onFirstByte(): void;
  onEnd(result: TapResult): void;
  /** Hears a stored response's id: as its stream event passes, or when a JSON body is complete. */
  onResponseId?(id: string): void;
  /** Hears each mark of signed thinking (Anthropic), as it passes or when a JSON body is complete. */
  onSigned?(mark: string): void;
  /** Work to finish before the body closes (the records those two started), when there is any. */
  beforeClose?(): Promise<void> | undefined;
  /** Translates the (scanned) upstream events for the client; `surface` is then the upstream's. */
  translator?: ChunkTranslator;
}

/** Wraps `body` in the observing transform. */
export function tapBody(
  body: ReadableStream<Uint8Array>,
  options: TapOptions,
): ReadableStream<Uint8Array> {
  const kind = !options.scanUsage
    ? "none"
    : options.contentType.includes("text/event-stream")
    ? "sse"
    : options.contentType.includes("json")
    ? "json"
    : "none";
  const decoder = new TextDecoder();
  const scanner = new SseUsageScanner(options.surface, options.onResponseId, options.onSigned);
  const strip = options.stripUsageChunk;
  const stripper = kind === "sse" && strip && !options.translator
    ? new UsageChunkStripper(typeof strip === "function" ? strip : undefined)
    : null;
  let jsonText = "";
  let jsonHead = "";
  let bytes = 0;
  let done = false;
  /** Whether the last chunk ended in an ASCII byte: the decoder holds nothing back. */
  let asciiEnd = true;

  const finish = (end: BodyEnd) => {
    if (done) return;
    done = true;
    let report: UsageReport = { deltas: 0 };
    if (kind === "sse") {
      scanner.push(decoder.decode());
      scanner.end(end !== "complete");
      report = scanner.report();
    } else if (kind === "json" && end === "complete") {
      jsonText += decoder.decode();
      report = jsonHead
        ? usageFromJsonEnds(jsonHead, jsonText, options.surface)
        : usageFromJsonText(jsonText, options.surface);
      if (report.responseId) options.onResponseId?.(report.responseId);
      if (options.onSigned) report.signed?.forEach(options.onSigned);
    }
    options.onEnd({ ...report, end, bytes });
  };

  const encoder = new TextEncoder();
  return observeStream(body, {
    chunk(chunk) {
      if (bytes === 0) options.onFirstByte();
      bytes += chunk.byteLength;
      if (stripper) {
        const text = decoder.decode(chunk, { stream: true });
        const out = stripper.push(text);
        scanner.push(text);
        // The chunk itself may go on unchanged only if the decoder split no character at either
        // end of it: a character cut in two is relayed whole, with the text it completes.
        const carriedIn = !asciiEnd;
        if (chunk.byteLength > 0) asciiEnd = chunk[chunk.byteLength - 1] < 0x80;
        if (out === text && !carriedIn && asciiEnd) return chunk;
        return out ? encoder.encode(out) : null;
      }
      const text = kind === "sse" ? decoder.decode(chunk, { stream: true }) : undefined;
      if (text !== undefined) scanner.push(text);
      if (options.translator) {
        // The text the scanner read, when it read it: the translator need not decode it again.
        const out = options.translator.push(text ?? chunk);
        return out ? encoder.encode(out) : null;
      } else if (kind === "json") {
        jsonText += decoder.decode(chunk, { stream: true });
        if (jsonText.length > JSON_KEEP_LIMIT) {
          if (!jsonHead) jsonHead = jsonText.slice(0, JSON_END_BYTES);
          jsonText = jsonText.slice(-JSON_END_BYTES);
        }
      }
      return chunk;
    },
    flush() {
      // The body is complete: what it reports is heard before it closes (see `beforeClose`).
      finish("complete");
      if (options.translator) {
        const tail = options.translator.finish();
        return tail ? encoder.encode(tail) : null;
      }
      const rest = stripper?.end();
      return rest ? encoder.encode(rest) : null;
    },
    beforeClose: options.beforeClose,
    end(how) {
      // "cancel": the client went away (its signal aborts), or the upstream broke off mid-stream.
      finish(
        how === "done"
          ? "complete"
          : how === "cancel" && options.clientSignal?.aborted
          ? "aborted"
          : "error",
      );
    },
  });
}

/** The usage in a JSON body read whole (see {@linkcode tapBody} for one still streaming). */
export function wholeUsage(bytes: Uint8Array, surface: Surface): UsageReport {
  return bytes.byteLength > JSON_KEEP_LIMIT
    ? { deltas: 0 }
    : usageFromJsonText(new TextDecoder().decode(bytes), surface);
}

/** Removes the chat usage event from an SSE text stream, event by event. */
export class UsageChunkStripper {
  #out = "";
  readonly #parser = new SseParser({
    event: (event, raw) => {
      if (!(isChatUsageChunk(event.data) && this.wanted())) this.#out += raw;
    },
  }, { raw: true });

  /** `wanted` is asked whenever a usage event is found: false keeps it. */
  constructor(private readonly wanted: () => boolean = () => true) {}

  /** Returns the text to forward now (the input itself when nothing changed). */
  push(text: string): string {
    if (this.#parser.idle && /\n\r?\n$/.test(text) && !USAGE.test(text)) return text;
    this.#parser.push(text);
    return this.#take();
  }

  /** The unfinished tail at the end of the stream. */
  end(): string {
    this.#parser.end();
    return this.#take();
  }

  #take(): string {
    const out = this.#out;
    this.#out = "";
    return out;
  }
}

/** Text that may hold a usage object. */
const USAGE = /"usage"\s*:\s*\{/;
