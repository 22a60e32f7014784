/**
 * What a client makes of a translated stream, for the tests: the events
 * parsed back and folded the way each API's SDK folds them (text, reasoning,
 * tool calls with their ids and joined arguments, stop reason, usage,
 * error), written apart from the decoders so a test does not check the code
 * with itself.
 *
 * @module
 */

import { SseParser } from "../sse.ts";

/** A tool call as the client sees it. */
export interface SeenCall {
  id: string;
  name: string;
  args: string;
}

/** A stream as the client sees it. */
export interface Seen {
  /** Event names (the `type` of unnamed JSON events, `[DONE]` for the marker). */
  names: string[];
  text: string;
  reasoning: string;
  calls: SeenCall[];
  stop?: string;
  usage?: Record<string, unknown>;
  error?: Record<string, unknown>;
}

type Data = Record<string, unknown> & { [key: string]: unknown };

function get(value: unknown, ...path: (string | number)[]): unknown {
  let at: unknown = value;
  for (const key of path) at = (at as Record<string | number, unknown> | undefined)?.[key];
  return at;
}

/** Parses a client stream's text and folds it. */
export function reassemble(text: string): Seen {
  const seen: Seen = { names: [], text: "", reasoning: "", calls: [] };
  const parser = new SseParser();
  const byIndex = new Map<number, SeenCall>();
  for (const event of [...parser.push(text), ...parser.finish()]) {
    if (event.data === "[DONE]") {
      seen.names.push("[DONE]");
      continue;
    }
    const data = JSON.parse(event.data) as Data;
    const name = event.event ??
      (typeof data.type === "string" ? data.type : data.error ? "error" : "chunk");
    seen.names.push(name);
    if (event.event !== undefined && data.type !== event.event) {
      throw new Error(`${event.event} carries type ${data.type}`);
    }
    foldChat(seen, data, byIndex);
    foldMessages(seen, data, byIndex);
    foldResponses(seen, data, byIndex);
  }
  return seen;
}

function foldChat(seen: Seen, data: Data, byIndex: Map<number, SeenCall>): void {
  if (data.object !== "chat.completion.chunk" && !(data.error && data.type === undefined)) return;
  if (data.error) seen.error = data.error as Record<string, unknown>;
  if (data.usage) seen.usage = data.usage as Record<string, unknown>;
  const choice = get(data, "choices", 0) as Data | undefined;
  if (!choice) return;
  const delta = choice.delta as Data;
  if (typeof delta.content === "string") seen.text += delta.content;
  for (const call of (delta.tool_calls as Data[] | undefined) ?? []) {
    const index = call.index as number;
    let known = byIndex.get(index);
    if (!known) {
      known = { id: call.id as string, name: get(call, "function", "name") as string, args: "" };
      byIndex.set(index, known);
      seen.calls.push(known);
    }
    known.args += (get(call, "function", "arguments") as string | undefined) ?? "";
  }
  if (choice.finish_reason) seen.stop = choice.finish_reason as string;
}

function foldMessages(seen: Seen, data: Data, byIndex: Map<number, SeenCall>): void {
  const index = data.index as number;
  switch (data.type) {
    case "message_start":
      seen.usage = get(data, "message", "usage") as Record<string, unknown>;
      break;
    case "content_block_start": {
      const block = data.content_block as Data;
      if (block.type !== "tool_use") break;
      const call = { id: block.id as string, name: block.name as string, args: "" };
      byIndex.set(index, call);
      seen.calls.push(call);
      break;
    }
    case "content_block_delta": {
      const delta = data.delta as Data;
      if (delta.type === "text_delta") seen.text += delta.text;
      if (delta.type === "thinking_delta") seen.reasoning += delta.thinking;
      if (delta.type === "input_json_delta") {
        (byIndex.get(index) as SeenCall).args += delta.partial_json;
      }
      break;
    }
    case "message_delta":
      seen.stop = get(data, "delta", "stop_reason") as string;
      seen.usage = { ...seen.usage, ...(data.usage as Data) };
      break;
    case "error":
      if (data.error) seen.error = data.error as Record<string, unknown>;
  }
}

function foldResponses(seen: Seen, data: Data, byItem: Map<number, SeenCall>): void {
  const type = typeof data.type === "string" ? data.type : "";
  if (!type.startsWith("response.") && !(type === "error" && data.code !== undefined)) return;
  const item = data.item as Data | undefined;
  if (type === "response.output_text.delta") seen.text += data.delta;
  if (type === "response.reasoning_summary_text.delta") seen.reasoning += data.delta;
  if (type === "response.output_item.added" && item?.type === "function_call") {
    const call = { id: item.call_id as string, name: item.name as string, args: "" };
    byItem.set(data.output_index as number, call);
    seen.calls.push(call);
  }
  if (type === "response.function_call_arguments.delta") {
    (byItem.get(data.output_index as number) as SeenCall).args += data.delta;
  }
  if (type === "response.completed" || type === "response.incomplete") {
    seen.stop = (get(data, "response", "incomplete_details", "reason") as string | undefined) ??
      "completed";
    seen.usage = get(data, "response", "usage") as Record<string, unknown>;
  }
  if (type === "error") seen.error = data;
}
