/**
 * Whole Anthropic Messages responses, usage and stop reasons, both ways.
 * Anthropic's `input_tokens` leaves out cache reads and cache writes, which
 * OpenAI counts in `prompt_tokens`/`input_tokens`: the canonical input is the
 * sum, and writing Anthropic usage subtracts them again. Thinking blocks
 * come out with an empty signature when the reasoning was not Anthropic's.
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
import { parseArguments } from "../translate/parts.ts";
import { safeToolId } from "./encode_request.ts";
import type { MessagesBlock, MessagesMessage, MessagesStopReason, MessagesUsage } from "./types.ts";

/** A stop reason in canonical form. */
export function stopFromMessages(reason: string | undefined): IrStop {
  switch (reason) {
    case "max_tokens":
    case "stop_sequence":
    case "tool_use":
    case "pause_turn":
    case "refusal":
      return reason;
    case "model_context_window_exceeded":
      return "context_window";
    default:
      return "end_turn";
  }
}

/** A canonical stop reason as an Anthropic stop reason. */
export function stopToMessages(stop: IrStop): MessagesStopReason {
  if (stop === "content_filter") return "refusal";
  if (stop === "context_window") return "model_context_window_exceeded";
  return stop;
}

/** Reads Anthropic usage (a `message_delta`'s may hold output tokens only). */
export function usageFromMessages(usage: JsonObject | undefined): Partial<IrUsage> {
  if (!usage) return {};
  const input = num(usage, "input_tokens");
  const read = num(usage, "cache_read_input_tokens");
  const write = num(usage, "cache_creation_input_tokens");
  return {
    input: input === undefined ? undefined : input + (read ?? 0) + (write ?? 0),
    output: num(usage, "output_tokens"),
    cachedInput: read,
    cacheWrite: write,
    reasoning: num(obj(usage, "output_tokens_details"), "thinking_tokens"),
  };
}

/** Writes Anthropic usage. */
export function usageToMessages(usage: IrUsage): MessagesUsage {
  return {
    input_tokens: Math.max(0, usage.input - usage.cachedInput - usage.cacheWrite),
    output_tokens: usage.output,
    cache_creation_input_tokens: usage.cacheWrite,
    cache_read_input_tokens: usage.cachedInput,
  };
}

/** Reads a whole Messages response. */
export function decodeMessagesResponse(body: unknown): IrResponse {
  const root = isObject(body) ? body : {};
  const parts: IrPart[] = [];
  objects(arr(root, "content")).forEach((block, i) => {
    const type = str(block, "type");
    if (type === "text") parts.push({ type: "text", text: str(block, "text") ?? "" });
    else if (type === "thinking") {
      parts.push({ type: "reasoning", text: str(block, "thinking") ?? "", path: `content[${i}]` });
    } else if (type === "tool_use") {
      parts.push({
        type: "tool_call",
        id: str(block, "id") ?? "",
        name: str(block, "name") ?? "",
        arguments: JSON.stringify(block.input ?? {}),
      });
    }
  });
  const sequence = str(root, "stop_sequence");
  const ir: IrResponse = {
    id: str(root, "id") ?? "",
    model: str(root, "model") ?? "",
    parts,
    stop: stopFromMessages(str(root, "stop_reason")),
    usage: usageWithZeros(usageFromMessages(obj(root, "usage"))),
  };
  if (sequence) ir.stopSequence = sequence;
  return ir;
}

/** Writes a whole Messages response. */
export function encodeMessagesResponse(ir: IrResponse): MessagesMessage {
  const content: MessagesBlock[] = ir.parts.flatMap((part): MessagesBlock[] => {
    if (part.type === "text") return part.text === "" ? [] : [{ type: "text", text: part.text }];
    if (part.type === "reasoning") {
      return [{ type: "thinking", thinking: part.text, signature: "" }];
    }
    if (part.type === "tool_call") {
      const input = parseArguments(part.arguments) ?? {};
      return [{ type: "tool_use", id: safeToolId(part.id), name: part.name, input }];
    }
    return [];
  });
  return {
    id: ir.id,
    type: "message",
    role: "assistant",
    model: ir.model,
    content,
    stop_reason: stopToMessages(ir.stop),
    stop_sequence: ir.stopSequence ?? null,
    usage: usageToMessages(ir.usage),
  };
}
