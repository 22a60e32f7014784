/**
 * A Responses request read into the canonical model. `instructions` and
 * system/developer input messages become instructions; `function_call` and
 * `function_call_output` items keep their `call_id`s; reasoning items keep
 * their readable summary only. Stored state cannot be translated: a
 * `previous_response_id`, a `conversation`, a stored `prompt` or an
 * `item_reference` names something only the OpenAI account that stored it
 * can read, so such a request gets a 400 naming the field, as does
 * `background` mode. Built-in tools and their calls are reported dropped.
 *
 * @module
 */

import { arr, bool, isObject, type Json, type JsonObject, obj, objects, str } from "../json.ts";
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
  requestBody,
  schemaOf,
  sourceFromFileData,
  sourceFromUrl,
  stringRecord,
} from "../translate/parts.ts";

const HANDLED = new Set([
  "model",
  "instructions",
  "input",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "max_output_tokens",
  "temperature",
  "top_p",
  "text",
  "reasoning",
  "user",
  "metadata",
  "stream",
]);

const STORED_STATE = ["previous_response_id", "conversation", "prompt"];

/** Reads a Responses request body. */
export function decodeResponsesRequest(raw: unknown, drops: Drops): IrRequest {
  const body = requestBody(raw);
  for (const field of STORED_STATE) {
    if (body[field] !== undefined && body[field] !== null) {
      throw new TranslationError(
        field,
        `\`${field}\` refers to state stored by OpenAI and cannot be translated`,
      );
    }
  }
  if (bool(body, "background")) {
    throw new TranslationError("background", "background mode cannot be translated");
  }
  dropUnhandled(body, HANDLED, drops);
  if (obj(body, "text")?.verbosity !== undefined) {
    drops.add("text.verbosity", "no counterpart in the other API");
  }
  const reasoning = obj(body, "reasoning");
  const effort = str(reasoning, "effort");
  const ir: IrRequest = {
    ...newRequest(body),
    toolChoice: toolChoiceOf(body.tool_choice, drops),
    parallelToolCalls: bool(body, "parallel_tool_calls"),
    maxOutputTokens: count(body, "max_output_tokens"),
    format: formatOf(obj(obj(body, "text"), "format")),
    user: str(body, "user"),
    metadata: stringRecord(body.metadata),
  };
  if (effort && effort !== "none") {
    ir.reasoning = { effort, summary: str(reasoning, "summary") !== undefined };
  }
  const instructions = str(body, "instructions");
  if (instructions) ir.instructions.push({ role: "system", text: instructions });
  const input = body.input;
  if (typeof input === "string") pushPart(ir.turns, "user", { type: "text", text: input });
  else if (Array.isArray(input)) {
    input.forEach((item, i) => readItem(ir, item, `input[${i}]`, drops));
  } else if (input !== undefined) {
    throw new TranslationError("input", "`input` must be a string or an array");
  }
  arr(body, "tools")?.forEach((tool, i) => {
    const name = isObject(tool) ? str(tool, "name") : undefined;
    if (!isObject(tool) || str(tool, "type") !== "function" || !name) {
      return drops.add(`tools[${i}]`, "only function tools translate");
    }
    ir.tools.push({
      name,
      description: str(tool, "description"),
      parameters: schemaOf(tool.parameters),
      strict: bool(tool, "strict"),
    });
  });
  return ir;
}

function readItem(ir: IrRequest, item: Json, path: string, drops: Drops): void {
  if (!isObject(item)) throw new TranslationError(path, "an input item must be an object");
  const type = str(item, "type") ?? (item.role !== undefined ? "message" : undefined);
  if (type === "message") {
    const role = str(item, "role");
    const parts = contentParts(item.content, `${path}.content`, drops);
    if (role === "system" || role === "developer") {
      ir.instructions.push({
        role,
        text: parts.map((part) => part.type === "text" ? part.text : "").join(""),
      });
    } else if (role === "user" || role === "assistant") {
      for (const part of parts) pushPart(ir.turns, role, part);
    } else throw new TranslationError(`${path}.role`, "unknown message role");
  } else if (type === "function_call") {
    const call = {
      id: str(item, "call_id") ?? "",
      name: str(item, "name") ?? "",
      arguments: str(item, "arguments") ?? "",
    };
    pushPart(ir.turns, "assistant", { type: "tool_call", ...call });
  } else if (type === "function_call_output") {
    const output = item.output;
    const parts = typeof output === "string"
      ? [{ type: "text" as const, text: output }]
      : contentParts(output, `${path}.output`, drops);
    pushPart(ir.turns, "user", {
      type: "tool_result",
      callId: str(item, "call_id") ?? "",
      parts,
      path,
    });
  } else if (type === "reasoning") {
    const summary = objects(arr(item, "summary")).map((part) => str(part, "text") ?? "").join(
      "\n\n",
    );
    pushPart(ir.turns, "assistant", { type: "reasoning", text: summary, path });
  } else if (type === "item_reference") {
    throw new TranslationError(
      path,
      "an item_reference refers to state stored by OpenAI and cannot be translated",
    );
  } else drops.add(path, `input item ${JSON.stringify(type ?? null)} does not translate`);
}

function contentParts(content: Json | undefined, path: string, drops: Drops): IrPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  const parts: IrPart[] = [];
  (Array.isArray(content) ? content : []).forEach((raw, i) => {
    const at = `${path}[${i}]`;
    const part = isObject(raw) ? raw : {};
    const type = str(part, "type");
    const text = str(part, "text") ?? str(part, "refusal");
    const imageUrl = str(part, "image_url");
    const fileId = str(part, "file_id");
    if (
      (type === "input_text" || type === "output_text" || type === "text" || type === "refusal") &&
      text !== undefined
    ) {
      parts.push({ type: "text", text });
    } else if (type === "input_image" && (imageUrl || fileId)) {
      const source = imageUrl
        ? sourceFromUrl(imageUrl)
        : { kind: "file" as const, fileId: fileId ?? "" };
      parts.push({ type: "image", source, detail: str(part, "detail"), path: at });
    } else if (type === "input_file") {
      const file = fileOf(part, at);
      if (file) parts.push(file);
      else drops.add(at, "a file without data, URL or id");
    } else if (type === "input_audio") parts.push({ type: "audio", path: at });
    else drops.add(at, `content part ${JSON.stringify(type ?? null)} does not translate`);
  });
  return parts;
}

function fileOf(part: JsonObject, path: string): IrPart | undefined {
  const filename = str(part, "filename");
  const data = str(part, "file_data");
  const url = str(part, "file_url");
  const fileId = str(part, "file_id");
  if (data) return { type: "document", source: sourceFromFileData(data, filename), filename, path };
  if (url) return { type: "document", source: { kind: "url", url }, filename, path };
  if (fileId) return { type: "document", source: { kind: "file", fileId }, filename, path };
  return undefined;
}

function toolChoiceOf(value: Json | undefined, drops: Drops): IrToolChoice | undefined {
  if (value === "auto" || value === "none" || value === "required") return { type: value };
  if (!isObject(value)) return undefined;
  const name = str(value, "name");
  if (str(value, "type") === "function" && name) return { type: "tool", name };
  drops.add("tool_choice", "only auto, none, required and one named function translate");
  return str(value, "mode") === "required" ? { type: "required" } : { type: "auto" };
}

function formatOf(format: JsonObject | undefined): IrFormat | undefined {
  const type = str(format, "type");
  if (type === "text" || type === "json_object") return { type };
  if (type !== "json_schema") return undefined;
  return {
    type: "json_schema",
    name: str(format, "name") ?? "response",
    schema: schemaOf(format?.schema),
    strict: bool(format, "strict"),
    description: str(format, "description"),
  };
}
