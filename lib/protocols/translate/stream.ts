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
import { emptyUsage, type IrEvent, type IrStop, type IrUsage, mergeUsage } from "./ir.ts";

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

/**
 * What every encoder remembers of a stream, kept in one place: who answered
 * (id, model, time) from the start event, and the usage and stop reason,
 * which only the end of a stream completes.
 */
export class StreamFacts {
  id: string;
  model = "";
  created: number;
  usage: IrUsage = emptyUsage();
  stop: IrStop = "end_turn";
  sequence: string | undefined;

  constructor(id: string, now: number) {
    this.id = id;
    this.created = now;
  }

  /** Records what a start, usage or stop event says. */
  note(event: IrEvent): void {
    if (event.type === "start") {
      this.id = event.id || this.id;
      this.model = event.model;
      this.created = event.created ?? this.created;
    }
    if ((event.type === "start" || event.type === "usage") && event.usage) {
      this.usage = mergeUsage(this.usage, event.usage);
    }
    if (event.type === "stop") {
      this.stop = event.reason;
      this.sequence = event.sequence;
    }
  }
}
