/**
 * The canonical model written as a Chat Completions request. Tool results
 * become `tool` messages ahead of the user's other parts; images become
 * `image_url` parts (inline bytes as data URLs); PDFs become `file` parts;
 * readable reasoning has no place in Chat history and is reported dropped.
 * Call ids longer than OpenAI's 64 characters are cut the same way on a call
 * and its result; a `user` longer than that (Claude Code's) is dropped.
 * A streamed request always asks for the usage chunk, so the gateway can
 * report usage whatever the client asked; the client's own choice is
 * honoured by the stream encoder.
 *
 * @module
 */

import { compact } from "../json.ts";
import {
  type Drops,
  type IrPart,
  type IrRequest,
  type IrTurn,
  TranslationError,
} from "../translate/ir.ts";
import {
  dataUrl,
  decodeBase64Text,
  effortFromBudget,
  fitId,
  joinText,
  openAiUser,
} from "../translate/parts.ts";
import type { ChatContentPart, ChatMessage, ChatRequest, ChatToolChoice } from "./types.ts";

/** Writes a Chat Completions request body. */
export function encodeChatRequest(ir: IrRequest, drops: Drops): ChatRequest {
  const messages: ChatMessage[] = ir.instructions.map((item) => ({
    role: item.role,
    content: item.text,
  }));
  for (const turn of ir.turns) messages.push(...turnMessages(turn, drops));
  const effort = ir.reasoning?.effort ??
    (ir.reasoning?.budgetTokens !== undefined
      ? effortFromBudget(ir.reasoning.budgetTokens)
      : undefined);
  return compact<ChatRequest>({
    model: ir.model,
    messages,
    tools: ir.tools.length === 0 ? undefined : ir.tools.map((tool) => ({
      type: "function",
      function: compact({
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters,
        strict: tool.strict,
      }),
    })),
    tool_choice: toolChoice(ir),
    parallel_tool_calls: ir.parallelToolCalls,
    max_completion_tokens: ir.maxOutputTokens,
    temperature: ir.temperature,
    top_p: ir.topP,
    stop: ir.stop,
    response_format: ir.format?.type === "json_schema"
      ? {
        type: "json_schema",
        json_schema: compact({
          name: ir.format.name,
          schema: ir.format.schema,
          strict: ir.format.strict,
          description: ir.format.description,
        }),
      }
      : ir.format,
    reasoning_effort: effort,
    user: openAiUser(ir.user, drops),
    metadata: ir.metadata,
    stream: ir.stream ? true : undefined,
    stream_options: ir.stream ? { include_usage: true } : undefined,
  });
}

function toolChoice(ir: IrRequest): ChatToolChoice | undefined {
  const choice = ir.toolChoice;
  if (!choice) return undefined;
  return choice.type === "tool"
    ? { type: "function", function: { name: choice.name } }
    : choice.type;
}

function turnMessages(turn: IrTurn, drops: Drops): ChatMessage[] {
  if (turn.role === "assistant") {
    for (const part of turn.parts) {
      if (part.type === "reasoning") {
        drops.add(part.path, "Chat history has no place for reasoning");
      }
    }
    const calls = turn.parts.flatMap((part) =>
      part.type === "tool_call"
        ? [{
          id: fitId(part.id),
          type: "function" as const,
          function: { name: part.name, arguments: part.arguments },
        }]
        : []
    );
    const text = joinText(turn.parts);
    if (text === "" && calls.length === 0) return [];
    return [
      compact({
        role: "assistant" as const,
        content: text === "" ? null : text,
        tool_calls: calls.length > 0 ? calls : undefined,
      }),
    ];
  }
  const out: ChatMessage[] = [];
  const content: ChatContentPart[] = [];
  for (const part of turn.parts) {
    if (part.type === "tool_result") {
      for (const inner of part.parts) {
        if (inner.type !== "text") drops.add(part.path, "Chat tool messages take text only");
      }
      if (part.isError) drops.add(`${part.path}.is_error`, "Chat tool messages have no error flag");
      out.push({ role: "tool", tool_call_id: fitId(part.callId), content: joinText(part.parts) });
    } else content.push(...contentPart(part));
  }
  if (content.length === 1 && content[0].type === "text") {
    out.push({ role: "user", content: content[0].text });
  } else if (content.length > 0) out.push({ role: "user", content });
  return out;
}

function contentPart(part: IrPart): ChatContentPart[] {
  switch (part.type) {
    case "text":
      return [{ type: "text", text: part.text }];
    case "image": {
      const source = part.source;
      if (source.kind === "base64" || source.kind === "url") {
        const url = source.kind === "url" ? source.url : dataUrl(source.mediaType, source.data);
        return [{ type: "image_url", image_url: compact({ url, detail: part.detail }) }];
      }
      throw new TranslationError(
        part.path,
        "this image source cannot be sent to a Chat Completions upstream",
      );
    }
    case "document": {
      const source = part.source;
      if (source.kind === "text") return [{ type: "text", text: source.text }];
      if (source.kind === "base64" && source.mediaType === "application/pdf") {
        const filename = part.filename ?? "document.pdf";
        return [{
          type: "file",
          file: { file_data: dataUrl(source.mediaType, source.data), filename },
        }];
      }
      const text = source.kind === "base64" && source.mediaType.startsWith("text/")
        ? decodeBase64Text(source.data)
        : undefined;
      if (text !== undefined) return [{ type: "text", text }];
      throw new TranslationError(
        part.path,
        "this document cannot be sent to a Chat Completions upstream",
      );
    }
    case "audio":
      throw new TranslationError(part.path, "audio input cannot be translated");
    default:
      return [];
  }
}
