/**
 * A Chat Completions request read into the canonical model. System and
 * developer messages become instructions (wherever they stand), `tool`
 * messages become tool results in a user turn, and assistant `tool_calls`
 * keep their ids, so a later turn's results still match their calls.
 * Fields with no counterpart are reported, not sent; `n > 1` and audio
 * output cannot be served by another API and are refused with a 400.
 *
 * @module
 */

import { arr, bool, isObject, type Json, type JsonObject, num, obj, str } from "../json.ts";
import {
  type Drops,
  type IrFormat,
  type IrPart,
  type IrRequest,
  type IrToolChoice,
  TranslationError,
} from "../translate/ir.ts";
import {
  count,
  dropUnhandled,
  newRequest,
  pushPart,
  schemaOf,
  sourceFromFileData,
  sourceFromUrl,
  stopList,
  stringRecord,
  withMessages,
} from "../translate/parts.ts";

const HANDLED = new Set([
  "model",
  "messages",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "max_completion_tokens",
  "max_tokens",
  "temperature",
  "top_p",
  "stop",
  "response_format",
  "reasoning_effort",
  "user",
  "metadata",
  "stream",
  "stream_options",
  "n",
]);

/** Reads a Chat Completions request body. */
export function decodeChatRequest(raw: unknown, drops: Drops): IrRequest {
  const { body, messages } = withMessages(raw);
  refuseUnservable(body);
  dropUnhandled(body, HANDLED, drops);
  const ir: IrRequest = {
    ...newRequest(body),
    includeUsage: bool(obj(body, "stream_options"), "include_usage") ?? false,
    toolChoice: toolChoiceOf(body.tool_choice, drops),
    parallelToolCalls: bool(body, "parallel_tool_calls"),
    maxOutputTokens: count(body, "max_completion_tokens") ?? count(body, "max_tokens"),
    stop: stopList(body.stop),
    format: formatOf(obj(body, "response_format")),
    user: str(body, "user"),
    metadata: stringRecord(body.metadata),
  };
  const effort = str(body, "reasoning_effort");
  if (effort) ir.reasoning = { effort };
  messages.forEach((message, i) => readMessage(ir, message, `messages[${i}]`, drops));
  arr(body, "tools")?.forEach((tool, i) => {
    const fn = isObject(tool) && str(tool, "type") === "function"
      ? obj(tool, "function")
      : undefined;
    const name = str(fn, "name");
    if (!fn || !name) return drops.add(`tools[${i}]`, "only function tools translate");
    ir.tools.push({
      name,
      description: str(fn, "description"),
      parameters: schemaOf(fn.parameters),
      strict: bool(fn, "strict"),
    });
  });
  return ir;
}

function refuseUnservable(body: JsonObject): void {
  const n = num(body, "n");
  if (n !== undefined && n > 1) {
    throw new TranslationError(
      "n",
      "`n` greater than 1 cannot be served: the upstream returns one choice",
    );
  }
  const modalities = arr(body, "modalities");
  if (body.audio !== undefined || modalities?.includes("audio")) {
    throw new TranslationError(
      body.audio !== undefined ? "audio" : "modalities",
      "audio output cannot be served by this upstream",
    );
  }
}

function readMessage(ir: IrRequest, message: Json, path: string, drops: Drops): void {
  if (!isObject(message)) throw new TranslationError(path, "a message must be an object");
  const role = str(message, "role");
  if (role === "system" || role === "developer") {
    ir.instructions.push({ role, text: textOf(message.content) });
  } else if (role === "user") {
    for (const part of userParts(message.content, `${path}.content`, drops)) {
      pushPart(ir.turns, "user", part);
    }
  } else if (role === "assistant") {
    const text = textOf(message.content);
    if (text !== "") pushPart(ir.turns, "assistant", { type: "text", text });
    arr(message, "tool_calls")?.forEach((call, i) => {
      const fn = isObject(call) ? obj(call, "function") : undefined;
      const id = isObject(call) ? str(call, "id") : undefined;
      if (!fn || !id) return drops.add(`${path}.tool_calls[${i}]`, "not a function call");
      const args = str(fn, "arguments") ?? "";
      pushPart(ir.turns, "assistant", {
        type: "tool_call",
        id,
        name: str(fn, "name") ?? "",
        arguments: args,
      });
    });
  } else if (role === "tool") {
    const callId = str(message, "tool_call_id");
    if (!callId) {
      throw new TranslationError(`${path}.tool_call_id`, "a tool message needs `tool_call_id`");
    }
    const parts = userParts(message.content, `${path}.content`, drops);
    pushPart(ir.turns, "user", { type: "tool_result", callId, parts, path });
  } else {
    drops.add(path, `role ${JSON.stringify(role ?? null)} does not translate`);
  }
}

/** The text of a string or an array of text (or refusal) parts. */
function textOf(content: Json | undefined): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) =>
    isObject(part) ? str(part, "text") ?? str(part, "refusal") ?? "" : ""
  )
    .join("");
}

function userParts(content: Json | undefined, path: string, drops: Drops): IrPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  const parts: IrPart[] = [];
  content.forEach((raw, i) => {
    const at = `${path}[${i}]`;
    const part = isObject(raw) ? raw : {};
    const type = str(part, "type");
    const image = obj(part, "image_url");
    const file = obj(part, "file");
    if (type === "text") parts.push({ type: "text", text: str(part, "text") ?? "" });
    else if (type === "image_url" && str(image, "url")) {
      const detail = str(image, "detail");
      parts.push({
        type: "image",
        source: sourceFromUrl(str(image, "url") ?? ""),
        detail,
        path: at,
      });
    } else if (type === "input_audio") parts.push({ type: "audio", path: at });
    else if (type === "file" && file) {
      const filename = str(file, "filename");
      const data = str(file, "file_data");
      const fileId = str(file, "file_id");
      if (data) {
        parts.push({
          type: "document",
          source: sourceFromFileData(data, filename),
          filename,
          path: at,
        });
      } else if (fileId) {
        parts.push({ type: "document", source: { kind: "file", fileId }, filename, path: at });
      }
    } else drops.add(at, `content part ${JSON.stringify(type ?? null)} does not translate`);
  });
  return parts;
}

function toolChoiceOf(value: Json | undefined, drops: Drops): IrToolChoice | undefined {
  if (value === "auto" || value === "none" || value === "required") return { type: value };
  if (!isObject(value)) return undefined;
  const name = str(obj(value, "function"), "name");
  if (str(value, "type") === "function" && name) return { type: "tool", name };
  const mode = str(obj(value, "allowed_tools"), "mode");
  drops.add("tool_choice", "only auto, none, required and one named function translate");
  return mode === "required" ? { type: "required" } : { type: "auto" };
}

function formatOf(format: JsonObject | undefined): IrFormat | undefined {
  const type = str(format, "type");
  if (type === "text" || type === "json_object") return { type };
  const schema = obj(format, "json_schema");
  if (type !== "json_schema" || !schema) return undefined;
  return {
    type: "json_schema",
    name: str(schema, "name") ?? "response",
    schema: schemaOf(schema.schema),
    strict: bool(schema, "strict"),
    description: str(schema, "description"),
  };
}
