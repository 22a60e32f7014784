/**
 * Whole Chat Completions responses, usage and finish reasons, both ways.
 * `stop` covers a natural end and a stop sequence alike, so which of the two
 * it was is lost going from Chat; `length` is a token limit; `tool_calls`
 * (and the legacy `function_call`) a tool turn; `content_filter` a filtered
 * answer (Anthropic `refusal`).
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
import { CHAT_USAGE, usageFromOpenAi } from "../translate/openai_usage.ts";
import { joinText } from "../translate/parts.ts";
import type { ChatCompletion, ChatFinishReason, ChatUsage } from "./types.ts";

/** A finish reason in canonical form. */
export function stopFromChat(reason: string | undefined): IrStop {
  if (reason === "length") return "max_tokens";
  if (reason === "tool_calls" || reason === "function_call") return "tool_use";
  if (reason === "content_filter") return "content_filter";
  return "end_turn";
}

/** A canonical stop reason as a Chat finish reason. */
export function stopToChat(stop: IrStop): ChatFinishReason {
  if (stop === "max_tokens" || stop === "context_window") return "length";
  if (stop === "tool_use") return "tool_calls";
  if (stop === "content_filter" || stop === "refusal") return "content_filter";
  return "stop";
}

/** Reads Chat usage. */
export function usageFromChat(usage: JsonObject | undefined): Partial<IrUsage> {
  return usageFromOpenAi(usage, CHAT_USAGE);
}

/** Writes Chat usage. */
export function usageToChat(usage: IrUsage): ChatUsage {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cachedInput },
    completion_tokens_details: { reasoning_tokens: usage.reasoning },
  };
}

/** Reads a whole Chat completion (its first choice). */
export function decodeChatResponse(body: unknown): IrResponse {
  const root = isObject(body) ? body : {};
  const choice = objects(arr(root, "choices"))[0];
  const message = obj(choice, "message");
  const parts: IrPart[] = [];
  const reasoning = str(message, "reasoning_content");
  if (reasoning) parts.push({ type: "reasoning", text: reasoning, path: "choices[0].message" });
  const text = str(message, "content") ?? str(message, "refusal");
  if (text) parts.push({ type: "text", text });
  for (const call of objects(arr(message, "tool_calls"))) {
    const fn = obj(call, "function");
    parts.push({
      type: "tool_call",
      id: str(call, "id") ?? "",
      name: str(fn, "name") ?? "",
      arguments: str(fn, "arguments") ?? "",
    });
  }
  return {
    id: str(root, "id") ?? "",
    model: str(root, "model") ?? "",
    created: num(root, "created"),
    parts,
    stop: stopFromChat(str(choice, "finish_reason")),
    usage: usageWithZeros(usageFromChat(obj(root, "usage"))),
  };
}

/** Writes a whole Chat completion. */
export function encodeChatResponse(ir: IrResponse, now: number): ChatCompletion {
  const calls = ir.parts.flatMap((part) =>
    part.type === "tool_call"
      ? [{
        id: part.id,
        type: "function" as const,
        function: { name: part.name, arguments: part.arguments },
      }]
      : []
  );
  const text = joinText(ir.parts);
  const message: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    content: text === "" && calls.length > 0 ? null : text,
    refusal: null,
  };
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: ir.id,
    object: "chat.completion",
    created: ir.created ?? now,
    model: ir.model,
    choices: [{ index: 0, message, finish_reason: stopToChat(ir.stop), logprobs: null }],
    usage: usageToChat(ir.usage),
  };
}
