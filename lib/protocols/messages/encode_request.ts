/**
 * The canonical model written as an Anthropic Messages request. Anthropic
 * needs `max_tokens` (a default when the client named none), tool ids of
 * `[a-zA-Z0-9_-]` (other characters become `_` on both the call and its
 * result, so they still match), non-empty text blocks, and signed thinking
 * blocks only: readable reasoning from another platform is reported dropped.
 * A reasoning effort becomes extended thinking with a budget below
 * `max_tokens`; thinking rules out sampling changes, so `temperature` and
 * `top_p` are then dropped, and newer models refuse `temperature` with
 * `top_p`, so `top_p` goes when both are set.
 *
 * @module
 */

import { compact } from "../json.ts";
import { type Drops, type IrPart, type IrRequest, TranslationError } from "../translate/ir.ts";
import {
  budgetFromEffort,
  decodeBase64Text,
  parseArguments,
  tidyTurns,
} from "../translate/parts.ts";
import type {
  MessagesBlockParam,
  MessagesMessageParam,
  MessagesRequest,
  MessagesToolChoice,
} from "./types.ts";

/** `max_tokens` when the client named no output limit. */
export const DEFAULT_MAX_TOKENS = 8192;

/** Anthropic's tool-id alphabet; other characters become `_` on calls and results alike. */
export function safeToolId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, "_") || "toolu_";
}

/** Writes a Messages request body. */
export function encodeMessagesRequest(ir: IrRequest, drops: Drops): MessagesRequest {
  const maxTokens = ir.maxOutputTokens ?? DEFAULT_MAX_TOKENS;
  const budget = thinkingBudget(ir, maxTokens, drops);
  let temperature = ir.temperature;
  let topP = ir.topP;
  if (budget !== undefined) {
    if (temperature !== undefined) {
      drops.add("temperature", "extended thinking does not take sampling changes");
    }
    if (topP !== undefined) drops.add("top_p", "extended thinking does not take sampling changes");
    temperature = topP = undefined;
  } else if (temperature !== undefined && topP !== undefined) {
    drops.add("top_p", "Anthropic models refuse temperature and top_p together");
    topP = undefined;
  }
  if (ir.format?.type === "json_object") {
    drops.add("response_format", "Anthropic has no JSON mode without a schema");
  }
  if (ir.metadata) drops.add("metadata", "Anthropic metadata takes a user id only");
  for (const tool of ir.tools) {
    if (tool.strict !== undefined) {
      drops.add("tools[].strict", "strict tool schemas do not translate");
    }
  }
  const stop = ir.stop?.filter((item) => item.trim() !== "");
  return compact<MessagesRequest>({
    model: ir.model,
    max_tokens: maxTokens,
    system: ir.instructions.length === 0
      ? undefined
      : ir.instructions.map((item) => ({ type: "text" as const, text: item.text })),
    messages: messages(ir, drops),
    tools: ir.tools.length === 0
      ? undefined
      : ir.tools.map((tool) =>
        compact({ name: tool.name, description: tool.description, input_schema: tool.parameters })
      ),
    tool_choice: toolChoice(ir),
    temperature,
    top_p: topP,
    stop_sequences: stop && stop.length > 0 ? stop : undefined,
    metadata: ir.user ? { user_id: ir.user } : undefined,
    thinking: budget === undefined ? undefined : { type: "enabled", budget_tokens: budget },
    output_config: ir.format?.type === "json_schema"
      ? { format: { type: "json_schema", schema: ir.format.schema } }
      : undefined,
    stream: ir.stream ? true : undefined,
  });
}

function thinkingBudget(ir: IrRequest, maxTokens: number, drops: Drops): number | undefined {
  const reasoning = ir.reasoning;
  if (!reasoning) return undefined;
  const wanted = reasoning.budgetTokens ??
    (reasoning.effort ? budgetFromEffort(reasoning.effort) : undefined);
  if (wanted === undefined) return undefined;
  if (maxTokens <= 1024) {
    drops.add(
      "reasoning",
      "the output limit leaves no room for Anthropic's 1024-token minimum thinking budget",
    );
    return undefined;
  }
  return Math.max(1024, Math.min(wanted, maxTokens - 1));
}

function toolChoice(ir: IrRequest): MessagesToolChoice | undefined {
  const choice = ir.toolChoice;
  const serial = ir.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (!choice) {
    return serial.disable_parallel_tool_use && ir.tools.length > 0
      ? { type: "auto", ...serial }
      : undefined;
  }
  if (choice.type === "none") return { type: "none" };
  if (choice.type === "required") return { type: "any", ...serial };
  if (choice.type === "tool") return { type: "tool", name: choice.name, ...serial };
  return { type: "auto", ...serial };
}

function messages(ir: IrRequest, drops: Drops): MessagesMessageParam[] {
  const out: MessagesMessageParam[] = [];
  for (const turn of tidyTurns(ir.turns)) {
    const content = turn.parts.flatMap((part) => blocks(part, drops));
    if (content.length === 0) continue;
    const last = out.at(-1);
    if (last?.role === turn.role) last.content.push(...content);
    else out.push({ role: turn.role, content });
  }
  return out;
}

function blocks(part: IrPart, drops: Drops): MessagesBlockParam[] {
  switch (part.type) {
    case "text":
      return part.text === "" ? [] : [{ type: "text", text: part.text }];
    case "image": {
      const source = part.source;
      if (source.kind === "base64") {
        return [{
          type: "image",
          source: { type: "base64", media_type: source.mediaType, data: source.data },
        }];
      }
      if (source.kind === "url") {
        return [{ type: "image", source: { type: "url", url: source.url } }];
      }
      throw new TranslationError(
        part.path,
        "this image source cannot be sent to an Anthropic upstream",
      );
    }
    case "document":
      return [document(part)];
    case "audio":
      throw new TranslationError(part.path, "audio input cannot be sent to an Anthropic upstream");
    case "tool_call": {
      const input = parseArguments(part.arguments);
      if (!input) {
        drops.add(`tool_call ${part.id}`, "arguments that are not a JSON object are sent as {}");
      }
      return [{ type: "tool_use", id: safeToolId(part.id), name: part.name, input: input ?? {} }];
    }
    case "tool_result": {
      const content = part.parts.flatMap((inner) => blocks(inner, drops))
        .filter((block): block is MessagesBlockParam & { type: "text" | "image" } =>
          block.type === "text" || block.type === "image"
        );
      return [
        compact({
          type: "tool_result" as const,
          tool_use_id: safeToolId(part.callId),
          content,
          is_error: part.isError,
        }),
      ];
    }
    case "reasoning":
      drops.add(part.path, "unsigned reasoning cannot be sent to Anthropic");
      return [];
  }
}

function document(part: IrPart & { type: "document" }): MessagesBlockParam {
  const source = part.source;
  const title = part.filename ? { title: part.filename } : {};
  if (source.kind === "text") {
    return {
      type: "document",
      source: { type: "text", media_type: "text/plain", data: source.text },
      ...title,
    };
  }
  if (source.kind === "url") {
    return { type: "document", source: { type: "url", url: source.url }, ...title };
  }
  if (source.kind === "base64" && source.mediaType === "application/pdf") {
    return {
      type: "document",
      source: { type: "base64", media_type: source.mediaType, data: source.data },
      ...title,
    };
  }
  const text = source.kind === "base64" && source.mediaType.startsWith("text/")
    ? decodeBase64Text(source.data)
    : undefined;
  if (text !== undefined) {
    return {
      type: "document",
      source: { type: "text", media_type: "text/plain", data: text },
      ...title,
    };
  }
  throw new TranslationError(part.path, "this document cannot be sent to an Anthropic upstream");
}
