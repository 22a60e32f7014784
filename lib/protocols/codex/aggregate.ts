/**
 * A Responses event stream folded into the one JSON response object a
 * non-streaming client expects, for upstreams that only stream (the
 * ChatGPT/Codex backend). The terminal event (`response.completed` or
 * `response.incomplete`) gives the response; the Codex backend sends it with
 * an empty `output`, so the output is rebuilt from the
 * `response.output_item.done` items in `output_index` order, a message whose
 * item never came done standing in as the text of its deltas. `response.failed` and `error`
 * events end it with an error.
 *
 * @module
 */

import { isObject, type JsonObject, num, obj, parseJson, str } from "../json.ts";
import { type SseEvent, SseParser } from "../sse.ts";
import { fromErrorObject } from "../translate/errors.ts";
import type { IrError } from "../translate/ir.ts";

/** The aggregated response, or why there is none. */
export type Aggregate = { ok: true; response: JsonObject } | { ok: false; error: IrError };

/** Folds Responses stream events into one response object. */
export class ResponsesAggregator {
  #items = new Map<number, JsonObject>();
  #texts = new Map<number, string>();
  #final: JsonObject | undefined;
  #error: IrError | undefined;

  /** Takes one stream event. */
  push(event: SseEvent): void {
    const data = parseJson(event.data);
    if (!isObject(data) || this.#final || this.#error) return;
    const index = num(data, "output_index") ?? 0;
    switch (str(data, "type") ?? event.event) {
      case "response.output_item.done": {
        const item = obj(data, "item");
        if (item) this.#items.set(index, item);
        break;
      }
      case "response.output_text.delta":
        this.#texts.set(index, (this.#texts.get(index) ?? "") + (str(data, "delta") ?? ""));
        break;
      case "response.completed":
      case "response.incomplete":
        this.#final = obj(data, "response");
        break;
      case "response.failed":
        this.#error = fromErrorObject(
          500,
          obj(obj(data, "response"), "error") ?? { message: "the response failed" },
        );
        break;
      case "error":
        this.#error = fromErrorObject(500, obj(data, "error") ?? data);
        break;
    }
  }

  /** The response once the stream is over. */
  result(): Aggregate {
    if (this.#error) return { ok: false, error: this.#error };
    if (!this.#final) {
      return {
        ok: false,
        error: {
          kind: "api_error",
          message: "the upstream stream ended before the response was complete",
        },
      };
    }
    const output = this.#final.output;
    if (Array.isArray(output) && output.length > 0) return { ok: true, response: this.#final };
    return { ok: true, response: { ...this.#final, output: this.#output() } };
  }

  #output(): JsonObject[] {
    const indexes = [...new Set([...this.#items.keys(), ...this.#texts.keys()])].sort((a, b) =>
      a - b
    );
    return indexes.map((index) =>
      this.#items.get(index) ?? {
        type: "message",
        id: `msg_${index}`,
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: this.#texts.get(index) ?? "", annotations: [] }],
      }
    );
  }
}

/** Reads a whole Responses event stream and aggregates it. */
export async function aggregateResponsesStream(
  body: ReadableStream<Uint8Array>,
): Promise<Aggregate> {
  const parser = new SseParser();
  const aggregator = new ResponsesAggregator();
  for await (const chunk of body) for (const event of parser.push(chunk)) aggregator.push(event);
  for (const event of parser.finish()) aggregator.push(event);
  return aggregator.result();
}
