/**
 * Reading a Responses stream. Function calls are found by their output
 * item's id and named by their `call_id` (the id a later
 * `function_call_output` quotes); arguments a stream never sent as deltas
 * come from the item's `.done` event. The terminal event gives usage and
 * the stop: whether the turn was a tool turn is decided from the calls seen
 * in the stream, because the ChatGPT (Codex) backend sends
 * `response.completed` with an empty `output`. Summary parts after the
 * first are separated by a blank line; encrypted reasoning is not read.
 *
 * @module
 */

import { isObject, type JsonObject, num, obj, parseJson, str } from "../json.ts";
import type { SseEvent } from "../sse.ts";
import { fromErrorObject } from "../translate/errors.ts";
import type { IrEvent } from "../translate/ir.ts";
import type { StreamDecoder } from "../translate/stream.ts";
import { stopFromResponse, usageFromResponses } from "./response.ts";

interface Call {
  callId: string;
  streamed: boolean;
  ended: boolean;
}

/** Reads a Responses stream. */
export class ResponsesStreamDecoder implements StreamDecoder {
  #calls = new Map<string, Call>();
  #ended = false;

  decode(event: SseEvent): IrEvent[] {
    const data = parseJson(event.data);
    if (this.#ended || !isObject(data)) return [];
    switch (str(data, "type") ?? event.event) {
      case "response.created": {
        const response = obj(data, "response");
        return [{
          type: "start",
          id: str(response, "id") ?? "",
          model: str(response, "model") ?? "",
          created: num(response, "created_at"),
        }];
      }
      case "response.output_item.added":
        return this.#added(obj(data, "item"));
      case "response.output_text.delta":
      case "response.refusal.delta":
        return [{ type: "text", text: str(data, "delta") ?? "" }];
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        return [{ type: "reasoning", text: str(data, "delta") ?? "" }];
      case "response.reasoning_summary_part.added":
        return (num(data, "summary_index") ?? 0) > 0 ? [{ type: "reasoning", text: "\n\n" }] : [];
      case "response.function_call_arguments.delta": {
        const call = this.#calls.get(str(data, "item_id") ?? "");
        if (!call) return [];
        call.streamed = true;
        return [{ type: "tool_args", id: call.callId, text: str(data, "delta") ?? "" }];
      }
      case "response.output_item.done":
        return this.#done(obj(data, "item"));
      case "response.completed":
      case "response.incomplete": {
        this.#ended = true;
        const response = obj(data, "response");
        return [
          { type: "usage", usage: usageFromResponses(obj(response, "usage")) },
          { type: "stop", reason: stopFromResponse(response, this.#calls.size > 0) },
          { type: "end" },
        ];
      }
      case "response.failed": {
        this.#ended = true;
        const error = obj(obj(data, "response"), "error") ?? { message: "the response failed" };
        return [{ type: "error", error: fromErrorObject(500, error) }];
      }
      case "error":
        this.#ended = true;
        return [{ type: "error", error: fromErrorObject(500, obj(data, "error") ?? data) }];
      default:
        return [];
    }
  }

  finish(): IrEvent[] {
    return [];
  }

  #added(item: JsonObject | undefined): IrEvent[] {
    if (str(item, "type") !== "function_call") return [];
    const callId = str(item, "call_id") ?? str(item, "id") ?? "";
    this.#calls.set(str(item, "id") ?? callId, { callId, streamed: false, ended: false });
    return [{ type: "tool_start", id: callId, name: str(item, "name") ?? "" }];
  }

  #done(item: JsonObject | undefined): IrEvent[] {
    if (str(item, "type") !== "function_call") return [];
    const out: IrEvent[] = [];
    let call = this.#calls.get(str(item, "id") ?? str(item, "call_id") ?? "");
    if (!call) {
      out.push(...this.#added(item));
      call = this.#calls.get(str(item, "id") ?? str(item, "call_id") ?? "");
    }
    if (!call || call.ended) return out;
    const args = str(item, "arguments");
    if (!call.streamed && args) out.push({ type: "tool_args", id: call.callId, text: args });
    call.ended = true;
    out.push({ type: "tool_end", id: call.callId });
    return out;
  }
}
