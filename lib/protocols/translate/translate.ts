/**
 * The six translation directions between the three client APIs, each one
 * decoder plus one encoder over the canonical model:
 * - {@linkcode translateRequest}: a client's request body for an upstream of
 *   another API, with the fields left out (for a debug log line) or a
 *   {@linkcode TranslationError} naming the field it cannot do without;
 * - {@linkcode translateResponse}: a whole upstream response for the client;
 * - {@linkcode StreamTranslator} / {@linkcode translateStream}: an upstream
 *   event stream for the client, one upstream event in, the client's events
 *   out at once, never buffered;
 * - errors: `translateErrorBody` in `errors.ts` (status kept).
 * The same API on both sides is no translation: bodies pass untouched.
 *
 * @module
 */

import { decodeChatRequest } from "../chat/decode_request.ts";
import { encodeChatRequest } from "../chat/encode_request.ts";
import { decodeChatResponse, encodeChatResponse } from "../chat/response.ts";
import { ChatStreamDecoder, ChatStreamEncoder } from "../chat/stream.ts";
import { decodeMessagesRequest } from "../messages/decode_request.ts";
import { encodeMessagesRequest } from "../messages/encode_request.ts";
import { decodeMessagesResponse, encodeMessagesResponse } from "../messages/response.ts";
import { MessagesStreamDecoder, MessagesStreamEncoder } from "../messages/stream.ts";
import { decodeResponsesRequest } from "../responses/decode_request.ts";
import { encodeResponsesRequest } from "../responses/encode_request.ts";
import { decodeResponsesResponse, encodeResponsesResponse } from "../responses/response.ts";
import { ResponsesStreamDecoder } from "../responses/stream_decode.ts";
import { ResponsesStreamEncoder } from "../responses/stream_encode.ts";
import { bool, isObject, obj } from "../json.ts";
import { formatSse, SseParser } from "../sse.ts";
import {
  type Api,
  type Dropped,
  Drops,
  type IrEvent,
  type IrRequest,
  type IrResponse,
  TranslationError,
} from "./ir.ts";
import type { EncoderOptions, StreamDecoder, StreamEncoder } from "./stream.ts";

const DECODE_REQUEST: Record<Api, (body: unknown, drops: Drops) => IrRequest> = {
  chat: decodeChatRequest,
  responses: decodeResponsesRequest,
  messages: decodeMessagesRequest,
};

const ENCODE_REQUEST: Record<Api, (ir: IrRequest, drops: Drops) => unknown> = {
  chat: encodeChatRequest,
  responses: encodeResponsesRequest,
  messages: encodeMessagesRequest,
};

const DECODE_RESPONSE: Record<Api, (body: unknown) => IrResponse> = {
  chat: decodeChatResponse,
  responses: decodeResponsesResponse,
  messages: decodeMessagesResponse,
};

const ENCODE_RESPONSE: Record<Api, (ir: IrResponse, now: number) => unknown> = {
  chat: encodeChatResponse,
  responses: encodeResponsesResponse,
  messages: encodeMessagesResponse,
};

/** A translated request, or the field it cannot be served without. */
export type RequestTranslation =
  | { ok: true; body: unknown; dropped: Dropped[]; stream: boolean; includeUsage: boolean }
  | { ok: false; error: TranslationError; dropped: Dropped[] };

/** What the caller knows about the target that the body does not say. */
export interface RequestOptions {
  /**
   * The target model does not reason: leave out reasoning settings (a
   * reasoning effort or thinking budget), which such a model refuses.
   */
  noReasoning?: boolean;
}

/** Translates a client's request body (parsed JSON) from API `from` for an upstream of API `to`. */
export function translateRequest(
  from: Api,
  to: Api,
  body: unknown,
  options: RequestOptions = {},
): RequestTranslation {
  if (from === to) {
    const root = isObject(body) ? body : undefined;
    const includeUsage = bool(obj(root, "stream_options"), "include_usage") ?? false;
    return { ok: true, body, dropped: [], stream: bool(root, "stream") ?? false, includeUsage };
  }
  const drops = new Drops();
  try {
    const ir = DECODE_REQUEST[from](body, drops);
    if (options.noReasoning && ir.reasoning) {
      drops.add("reasoning", "the target model does not reason");
      delete ir.reasoning;
    }
    const out = ENCODE_REQUEST[to](ir, drops);
    return {
      ok: true,
      body: out,
      dropped: drops.list,
      stream: ir.stream,
      includeUsage: ir.includeUsage,
    };
  } catch (error) {
    if (error instanceof TranslationError) return { ok: false, error, dropped: drops.list };
    throw error;
  }
}

/** Translates a whole upstream response body (parsed JSON) of API `from` for a client of API `to`. */
export function translateResponse(from: Api, to: Api, body: unknown, now = nowSeconds()): unknown {
  return from === to ? body : ENCODE_RESPONSE[to](DECODE_RESPONSE[from](body), now);
}

/** A stream decoder for `api`. */
export function streamDecoder(api: Api): StreamDecoder {
  if (api === "chat") return new ChatStreamDecoder();
  return api === "responses" ? new ResponsesStreamDecoder() : new MessagesStreamDecoder();
}

/** A stream encoder for `api`. */
export function streamEncoder(api: Api, options: EncoderOptions): StreamEncoder {
  if (api === "chat") return new ChatStreamEncoder(options);
  return api === "responses" ? new ResponsesStreamEncoder(options) : new MessagesStreamEncoder();
}

/** Options for a stream translation. */
export interface StreamOptions {
  /** From {@linkcode translateRequest}: the Chat client asked for the usage chunk. */
  includeUsage?: boolean;
  /** Unix seconds, for `created` fields the upstream did not supply. */
  now?: number;
}

/**
 * Translates an upstream event stream, text or bytes cut anywhere, into the
 * client's event stream text (the same API on both sides passes it through).
 */
export class StreamTranslator {
  readonly #parser = new SseParser();
  readonly #decoder: StreamDecoder;
  readonly #encoder: StreamEncoder;
  readonly #same: TextDecoder | undefined;
  #done = false;

  constructor(from: Api, to: Api, options: StreamOptions = {}) {
    this.#same = from === to ? new TextDecoder() : undefined;
    this.#decoder = streamDecoder(from);
    this.#encoder = streamEncoder(to, {
      includeUsage: options.includeUsage ?? false,
      now: options.now ?? nowSeconds(),
    });
  }

  /** Feeds upstream bytes; returns the client's events they completed. */
  push(chunk: Uint8Array | string): string {
    if (this.#same) {
      return typeof chunk === "string" ? chunk : this.#same.decode(chunk, { stream: true });
    }
    return this.#parser.push(chunk).map((event) => this.#emit(this.#decoder.decode(event))).join(
      "",
    );
  }

  /** The upstream body ended; a stream that never finished ends with an error event. */
  finish(): string {
    if (this.#same) return this.#same.decode();
    let out = this.#parser.finish().map((event) => this.#emit(this.#decoder.decode(event))).join(
      "",
    );
    out += this.#emit(this.#decoder.finish());
    if (!this.#done) {
      const message = "the upstream stream ended before the response was complete";
      out += this.#emit([{ type: "error", error: { kind: "api_error", message } }]);
    }
    return out;
  }

  #emit(events: IrEvent[]): string {
    let out = "";
    for (const event of events) {
      if (this.#done) break;
      if (event.type === "end" || event.type === "error") this.#done = true;
      out += this.#encoder.encode(event).map(formatSse).join("");
    }
    return out;
  }
}

/** {@linkcode StreamTranslator} as a byte transform; each upstream chunk is answered at once. */
export function translateStream(
  from: Api,
  to: Api,
  options: StreamOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const translator = new StreamTranslator(from, to, options);
  const encoder = new TextEncoder();
  return new TransformStream({
    transform(chunk, controller) {
      const text = translator.push(chunk);
      if (text) controller.enqueue(encoder.encode(text));
    },
    flush(controller) {
      const text = translator.finish();
      if (text) controller.enqueue(encoder.encode(text));
    },
  });
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
