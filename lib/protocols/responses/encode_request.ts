/**
 * The canonical model written as a Responses request. Instructions join into
 * `instructions`; user parts become one `message` item per run (tool results
 * become `function_call_output` items in their place); assistant text a
 * `message` item and tool calls `function_call` items with the same
 * `call_id` (cut to OpenAI's 64 characters the same way on both, if
 * longer). Function tools are sent with `strict: false` unless the client
 * asked for strict: Responses defaults to strict schemas, which most
 * schemas written for other APIs do not satisfy. A translated request is
 * never stored (`store: false`): no client of another API could ever refer
 * to it, and the account's storage is shared. Stop sequences have no
 * counterpart.
 *
 * @module
 */

import { compact } from "../json.ts";
import { type Drops, type IrPart, type IrRequest, TranslationError } from "../translate/ir.ts";
import { dataUrl, effortFromBudget, fitId, joinText, openAiUser } from "../translate/parts.ts";
import type {
  ResponsesInputContent,
  ResponsesInputItem,
  ResponsesRequest,
  ResponsesToolChoice,
} from "./types.ts";

/** The smallest `max_output_tokens` the Responses API takes. */
export const MIN_OUTPUT_TOKENS = 16;

/** Writes a Responses request body. */
export function encodeResponsesRequest(ir: IrRequest, drops: Drops): ResponsesRequest {
  if (ir.stop) drops.add("stop", "the Responses API has no stop sequences");
  let max = ir.maxOutputTokens;
  if (max !== undefined && max < MIN_OUTPUT_TOKENS) {
    drops.add("max_tokens", `raised to the Responses minimum of ${MIN_OUTPUT_TOKENS}`);
    max = MIN_OUTPUT_TOKENS;
  }
  const reasoning = ir.reasoning;
  const effort = reasoning?.effort ??
    (reasoning?.budgetTokens !== undefined ? effortFromBudget(reasoning.budgetTokens) : undefined);
  const instructions = ir.instructions.map((item) => item.text).join("\n\n");
  return compact<ResponsesRequest>({
    model: ir.model,
    instructions: instructions === "" ? undefined : instructions,
    input: input(ir, drops),
    tools: ir.tools.length === 0 ? undefined : ir.tools.map((tool) =>
      compact({
        type: "function" as const,
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters,
        strict: tool.strict ?? false,
      })
    ),
    tool_choice: toolChoice(ir),
    parallel_tool_calls: ir.parallelToolCalls,
    max_output_tokens: max,
    temperature: ir.temperature,
    top_p: ir.topP,
    text: ir.format ? { format: ir.format } : undefined,
    reasoning: effort
      ? compact({ effort, summary: reasoning?.summary ? "auto" : undefined })
      : undefined,
    user: openAiUser(ir.user, drops),
    metadata: ir.metadata,
    store: false,
    stream: ir.stream ? true : undefined,
  });
}

function toolChoice(ir: IrRequest): ResponsesToolChoice | undefined {
  const choice = ir.toolChoice;
  if (!choice) return undefined;
  return choice.type === "tool" ? { type: "function", name: choice.name } : choice.type;
}

function input(ir: IrRequest, drops: Drops): ResponsesInputItem[] {
  const items: ResponsesInputItem[] = [];
  for (const turn of ir.turns) {
    let content: ResponsesInputContent[] = [];
    let text: string[] = [];
    const flush = () => {
      if (turn.role === "user" && content.length > 0) {
        items.push({ type: "message", role: "user", content });
      }
      if (turn.role === "assistant" && text.length > 0) {
        items.push({ type: "message", role: "assistant", content: text.join("") });
      }
      content = [];
      text = [];
    };
    for (const part of turn.parts) {
      if (part.type === "tool_call") {
        flush();
        items.push({
          type: "function_call",
          call_id: fitId(part.id),
          name: part.name,
          arguments: part.arguments,
        });
      } else if (part.type === "tool_result") {
        flush();
        if (part.isError) {
          drops.add(`${part.path}.is_error`, "function call outputs have no error flag");
        }
        const parts = part.parts.flatMap(contentPart);
        const output = parts.every((item) => item.type === "input_text")
          ? joinText(part.parts)
          : parts;
        items.push({ type: "function_call_output", call_id: fitId(part.callId), output });
      } else if (part.type === "reasoning") {
        drops.add(part.path, "reasoning from another platform cannot be sent to OpenAI");
      } else if (turn.role === "assistant") {
        if (part.type === "text") text.push(part.text);
      } else content.push(...contentPart(part));
    }
    flush();
  }
  return items;
}

function contentPart(part: IrPart): ResponsesInputContent[] {
  switch (part.type) {
    case "text":
      return [{ type: "input_text", text: part.text }];
    case "image": {
      const source = part.source;
      const detail = part.detail ?? "auto";
      if (source.kind === "url") return [{ type: "input_image", image_url: source.url, detail }];
      if (source.kind === "base64") {
        return [{ type: "input_image", image_url: dataUrl(source.mediaType, source.data), detail }];
      }
      throw new TranslationError(
        part.path,
        "this image source cannot be sent to an OpenAI upstream",
      );
    }
    case "document": {
      const source = part.source;
      if (source.kind === "text") return [{ type: "input_text", text: source.text }];
      if (source.kind === "url") {
        return [
          compact({ type: "input_file" as const, file_url: source.url, filename: part.filename }),
        ];
      }
      if (source.kind === "base64") {
        const filename = part.filename ??
          (source.mediaType === "application/pdf" ? "document.pdf" : "document");
        return [{
          type: "input_file",
          file_data: dataUrl(source.mediaType, source.data),
          filename,
        }];
      }
      throw new TranslationError(part.path, "this document cannot be sent to an OpenAI upstream");
    }
    case "audio":
      throw new TranslationError(part.path, "audio input cannot be sent to a Responses upstream");
    default:
      return [];
  }
}
