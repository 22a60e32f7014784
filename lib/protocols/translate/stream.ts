/**
 * The two halves of a stream translation: a decoder turns one upstream SSE
 * event into canonical events, an encoder turns one canonical event into the
 * client's SSE events. Both are small state machines that answer at once;
 * neither holds content back (an encoder keeps only what its API repeats at
 * the end, such as a Responses item's full text for its `.done` events).
 *
 * @module
 */

import type { SseEvent } from "../sse.ts";
import type { IrEvent } from "./ir.ts";

/** Reads one API's stream events. */
export interface StreamDecoder {
  decode(event: SseEvent): IrEvent[];
  /** The upstream body ended; events a lenient end implies (a Chat stream without `[DONE]`). */
  finish(): IrEvent[];
}

/** Writes one API's stream events. */
export interface StreamEncoder {
  encode(event: IrEvent): SseEvent[];
}

/** Options every encoder takes. */
export interface EncoderOptions {
  /** Unix seconds for `created` fields the upstream did not supply. */
  now: number;
  /** A Chat client asked for the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
}
