/**
 * Whole Responses objects, usage and stop reasons, both ways. A Responses
 * answer has no stop reason: `completed` is a natural end (a tool turn when
 * the output holds a function call), `incomplete` with
 * `incomplete_details.reason` `max_output_tokens` or `content_filter` a cut
 * one. Which stop sequence ended a Messages answer is lost here.
 *
 * @module
 */

import { arr, isObject, type JsonObject, num, obj, objects, str } from "../json.ts";
import {
  type IrPart,
  type IrResponse,
  type IrStop,
  type IrUsage,
  usageWithZeros,
} from "../translate/ir.ts";
import { RESPONSES_USAGE, usageFromOpenAi } from "../translate/openai_usage.ts";
import { syntheticId } from "../translate/parts.ts";
import type { ResponsesOutputItem, ResponsesResponse, ResponsesUsage } from "./types.ts";

/** Reads Responses usage. */
export function usageFromResponses(usage: JsonObject | undefined): Partial<IrUsage> {
  return usageFromOpenAi(usage, RESPONSES_USAGE);
}

/** Writes Responses usage. */
export function usageToResponses(usage: IrUsage): ResponsesUsage {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cachedInput },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
  };
}

/** The stop reason of a finished response object; `toolCall` when a function call was output. */
export function stopFromResponse(response: JsonObject | undefined, toolCall: boolean): IrStop {
  if (str(response, "status") === "incomplete") {
    const reason = str(obj(response, "incomplete_details"), "reason");
    return reason === "content_filter" ? "content_filter" : "max_tokens";
  }
  return toolCall ? "tool_use" : "end_turn";
}

/** A canonical stop as a response status and its details. */
export function statusOf(stop: IrStop): Pick<ResponsesResponse, "status" | "incomplete_details"> {
  if (stop === "max_tokens" || stop === "context_window") {
    return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  }
  if (stop === "content_filter" || stop === "refusal") {
    return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  }
  return { status: "completed", incomplete_details: null };
}

/** Reads a whole response object. */
export function decodeResponsesResponse(body: unknown): IrResponse {
  const root = isObject(body) ? body : {};
  const parts: IrPart[] = [];
  objects(arr(root, "output")).forEach((item, i) => {
    const type = str(item, "type");
    if (type === "message") {
      const text = objects(arr(item, "content")).map((part) =>
        str(part, "text") ?? str(part, "refusal") ?? ""
      )
        .join("");
      if (text) parts.push({ type: "text", text });
    } else if (type === "function_call") {
      parts.push({
        type: "tool_call",
        id: str(item, "call_id") ?? "",
        name: str(item, "name") ?? "",
        arguments: str(item, "arguments") ?? "",
      });
    } else if (type === "reasoning") {
      const text = objects(arr(item, "summary")).map((part) => str(part, "text") ?? "").join(
        "\n\n",
      );
      if (text) parts.push({ type: "reasoning", text, path: `output[${i}]` });
    }
  });
  return {
    id: str(root, "id") ?? "",
    model: str(root, "model") ?? "",
    created: num(root, "created_at"),
    parts,
    stop: stopFromResponse(root, parts.some((part) => part.type === "tool_call")),
    usage: usageWithZeros(usageFromResponses(obj(root, "usage"))),
  };
}

/** Output items for canonical parts (adjacent text parts share one message). */
export function outputItems(id: string, parts: readonly IrPart[]): ResponsesOutputItem[] {
  const items: ResponsesOutputItem[] = [];
  for (const part of parts) {
    const last = items.at(-1);
    const n = items.length;
    if (part.type === "text" && last?.type === "message") last.content[0].text += part.text;
    else if (part.type === "text") {
      const content = [{ type: "output_text" as const, text: part.text, annotations: [] }];
      items.push({
        type: "message",
        id: syntheticId("msg", id, n),
        status: "completed",
        role: "assistant",
        content,
      });
    } else if (part.type === "reasoning") {
      items.push({
        type: "reasoning",
        id: syntheticId("rs", id, n),
        summary: [{ type: "summary_text", text: part.text }],
      });
    } else if (part.type === "tool_call") {
      items.push({
        type: "function_call",
        id: syntheticId("fc", id, n),
        status: "completed",
        call_id: part.id,
        name: part.name,
        arguments: part.arguments,
      });
    }
  }
  return items;
}

/** Writes a whole response object. */
export function encodeResponsesResponse(ir: IrResponse, now: number): ResponsesResponse {
  return {
    id: ir.id,
    object: "response",
    created_at: ir.created ?? now,
    ...statusOf(ir.stop),
    model: ir.model,
    output: outputItems(ir.id, ir.parts),
    usage: usageToResponses(ir.usage),
    error: null,
  };
}
