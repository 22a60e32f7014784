/**
 * An Anthropic Messages request read into the canonical model. `system`
 * becomes instructions, `tool_use`/`tool_result` blocks keep their ids,
 * images and documents keep their source (bytes, URL, plain text), thinking
 * blocks keep their readable text only (the signature belongs to the account
 * that made it), and `thinking`/`output_config.effort` become a reasoning
 * request. Server tools, `top_k` and prompt-cache markers have no
 * counterpart and are reported.
 *
 * @module
 */

import { arr, bool, isObject, type Json, type JsonObject, obj, objects, str } from "../json.ts";
import {
  type Drops,
  type IrPart,
  type IrReasoning,
  type IrRequest,
  type IrSource,
  type IrToolChoice,
  TranslationError,
} from "../translate/ir.ts";
import {
  count,
  dropUnhandled,
  newRequest,
  pushPart,
  schemaOf,
  stopList,
  withMessages,
} from "../translate/parts.ts";

const HANDLED = new Set([
  "model",
  "messages",
  "system",
  "max_tokens",
  "temperature",
  "top_p",
  "stop_sequences",
  "tools",
  "tool_choice",
  "metadata",
  "thinking",
  "output_config",
  "output_format",
  "stream",
]);

/** Reads a Messages request body. */
export function decodeMessagesRequest(raw: unknown, drops: Drops): IrRequest {
  const { body, messages } = withMessages(raw);
  dropUnhandled(body, HANDLED, drops);
  const choice = obj(body, "tool_choice");
  const ir: IrRequest = {
    ...newRequest(body),
    toolChoice: toolChoiceOf(choice),
    parallelToolCalls: bool(choice, "disable_parallel_tool_use") === true ? false : undefined,
    maxOutputTokens: count(body, "max_tokens"),
    stop: stopList(body.stop_sequences),
    user: str(obj(body, "metadata"), "user_id"),
    reasoning: reasoningOf(body),
  };
  const format = obj(obj(body, "output_config"), "format") ?? obj(body, "output_format");
  if (str(format, "type") === "json_schema") {
    ir.format = { type: "json_schema", name: "response", schema: schemaOf(format?.schema) };
  }
  const system = body.system;
  if (typeof system === "string" && system !== "") {
    ir.instructions.push({ role: "system", text: system });
  }
  objects(Array.isArray(system) ? system : []).forEach((block, i) => {
    if (block.cache_control !== undefined) {
      drops.add("cache_control", "prompt caching markers do not translate");
    }
    const text = str(block, "text");
    if (text !== undefined) ir.instructions.push({ role: "system", text });
    else drops.add(`system[${i}]`, "only text system blocks translate");
  });
  messages.forEach((message, i) => readMessage(ir, message, `messages[${i}]`, drops));
  arr(body, "tools")?.forEach((raw, i) => {
    const tool = isObject(raw) ? raw : {};
    const type = str(tool, "type");
    const name = str(tool, "name");
    if ((type !== undefined && type !== "custom") || !name || tool.input_schema === undefined) {
      return drops.add(`tools[${i}]`, "server tools do not translate");
    }
    ir.tools.push({
      name,
      description: str(tool, "description"),
      parameters: schemaOf(tool.input_schema),
    });
  });
  return ir;
}

function reasoningOf(body: JsonObject): IrReasoning | undefined {
  const thinking = obj(body, "thinking");
  const type = str(thinking, "type");
  const effort = str(obj(body, "output_config"), "effort");
  if (type === "enabled") {
    const budgetTokens = count(thinking, "budget_tokens");
    return effort ? { effort, budgetTokens, summary: true } : { budgetTokens, summary: true };
  }
  if (type === "adaptive") return { effort: effort ?? "medium", summary: true };
  if (effort) return { effort };
  return undefined;
}

function toolChoiceOf(choice: JsonObject | undefined): IrToolChoice | undefined {
  const type = str(choice, "type");
  const name = str(choice, "name");
  if (type === "auto" || type === "none") return { type };
  if (type === "any") return { type: "required" };
  if (type === "tool" && name) return { type: "tool", name };
  return undefined;
}

function readMessage(ir: IrRequest, message: Json, path: string, drops: Drops): void {
  if (!isObject(message)) throw new TranslationError(path, "a message must be an object");
  const role = str(message, "role");
  const content = message.content;
  if (role === "system") {
    for (const part of blocks(content, `${path}.content`, drops)) {
      if (part.type === "text") ir.instructions.push({ role: "system", text: part.text });
    }
    return;
  }
  if (role !== "user" && role !== "assistant") {
    throw new TranslationError(`${path}.role`, "`role` must be user or assistant");
  }
  for (const part of blocks(content, `${path}.content`, drops)) pushPart(ir.turns, role, part);
}

function blocks(content: Json | undefined, path: string, drops: Drops): IrPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  const parts: IrPart[] = [];
  (Array.isArray(content) ? content : []).forEach((raw, i) => {
    const at = `${path}[${i}]`;
    const block = isObject(raw) ? raw : {};
    if (block.cache_control !== undefined) {
      drops.add("cache_control", "prompt caching markers do not translate");
    }
    const part = blockPart(block, at, drops);
    if (part) parts.push(part);
    else {drops.add(
        at,
        `content block ${JSON.stringify(str(block, "type") ?? null)} does not translate`,
      );}
  });
  return parts;
}

function blockPart(block: JsonObject, path: string, drops: Drops): IrPart | undefined {
  switch (str(block, "type")) {
    case "text":
      return { type: "text", text: str(block, "text") ?? "" };
    case "image": {
      const source = sourceOf(obj(block, "source"));
      return source && { type: "image", source, path };
    }
    case "document": {
      const source = sourceOf(obj(block, "source"));
      return source && { type: "document", source, path };
    }
    case "tool_use":
      return {
        type: "tool_call",
        id: str(block, "id") ?? "",
        name: str(block, "name") ?? "",
        arguments: JSON.stringify(block.input ?? {}),
      };
    case "tool_result": {
      const parts = blocks(block.content, `${path}.content`, drops);
      const isError = bool(block, "is_error");
      return { type: "tool_result", callId: str(block, "tool_use_id") ?? "", parts, isError, path };
    }
    case "thinking":
      return { type: "reasoning", text: str(block, "thinking") ?? "", path };
    default:
      return undefined;
  }
}

function sourceOf(source: JsonObject | undefined): IrSource | undefined {
  const data = str(source, "data");
  switch (str(source, "type")) {
    case "base64":
      return data === undefined
        ? undefined
        : { kind: "base64", mediaType: str(source, "media_type") ?? "", data };
    case "url":
      return str(source, "url") === undefined
        ? undefined
        : { kind: "url", url: str(source, "url") ?? "" };
    case "file":
      return { kind: "file", fileId: str(source, "file_id") ?? "" };
    case "text":
      return data === undefined ? undefined : { kind: "text", text: data };
    case "content": {
      const text = objects(arr(source, "content")).map((item) => str(item, "text") ?? "").join(
        "\n",
      );
      return { kind: "text", text };
    }
    default:
      return undefined;
  }
}
