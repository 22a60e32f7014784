/**
 * Making a Responses request acceptable to a ChatGPT (Codex subscription)
 * account, `https://chatgpt.com/backend-api/codex/responses`. That backend
 * serves the Responses API only, and only the request Codex CLI sends:
 * - `store` must be `false` (`400 {"detail":"Store must be set to false"}`),
 *   so nothing is stored: stored items cannot be referred to, input item
 *   ids cannot be resolved (`Item with id 'rs_…' not found. Items are not
 *   persisted when store is set to false`), and a `previous_response_id`
 *   finds nothing. The first two are dropped; the last would lose the
 *   conversation, so it is refused with a 400 naming the field.
 * - `stream` must be `true`: a non-streaming client gets the stream
 *   aggregated (`aggregate.ts`).
 * - `instructions` is required (`400 "Instructions are required"`): system
 *   messages in `input` move there (the backend takes no system role), and
 *   a neutral default fills it when the client sent none.
 * - `input` must be a list.
 * - Fields beyond Codex CLI's own are refused one by one (`400
 *   {"detail":"Unsupported parameter: max_output_tokens"}`, likewise
 *   `temperature`, `top_p`, `truncation`, `metadata`, `user`,
 *   `prompt_cache_retention`, …), so only Codex CLI's fields are kept:
 *   `model`, `instructions`, `input`, `tools`, `tool_choice`,
 *   `parallel_tool_calls`, `reasoning`, `store`, `stream`, `include`,
 *   `service_tier`, `prompt_cache_key`, `text`, `client_metadata`.
 * A request from Codex CLI itself already meets all of this and passes
 * unchanged. Sources are listed in `../mod.ts`.
 *
 * @module
 */

import { isObject, type Json, type JsonObject, str } from "../json.ts";
import { type Dropped, Drops, TranslationError } from "../translate/ir.ts";
import { bodyNotAnObject } from "../translate/parts.ts";

/** The request fields Codex CLI sends (codex-rs `ResponsesApiRequest`), the only ones the backend takes. */
export const CODEX_FIELDS: ReadonlySet<string> = new Set([
  "model",
  "instructions",
  "input",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "reasoning",
  "store",
  "stream",
  "include",
  "service_tier",
  "prompt_cache_key",
  "text",
  "client_metadata",
]);

/** Instructions for a client that sent none (the backend requires some). */
export const DEFAULT_CODEX_INSTRUCTIONS = "You are a helpful assistant.";

/** The adjusted request; `stream` says whether the client wanted a stream (else aggregate). */
export type CodexRequest =
  | { ok: true; body: JsonObject; dropped: Dropped[]; stream: boolean }
  | { ok: false; error: TranslationError };

/** Adjusts a Responses request body (parsed JSON) for a Codex subscription account. */
export function codexRequest(body: unknown): CodexRequest {
  if (!isObject(body)) return { ok: false, error: bodyNotAnObject() };
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    return refuse(
      "previous_response_id",
      "a ChatGPT (Codex) account stores no responses, so `previous_response_id` cannot be continued there",
    );
  }
  const drops = new Drops();
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(body)) {
    if (CODEX_FIELDS.has(key)) out[key] = value;
    else drops.add(key, "the ChatGPT (Codex) backend refuses parameters Codex CLI does not send");
  }
  if (body.store === true) {
    drops.add("store", "the ChatGPT (Codex) backend stores nothing (store must be false)");
  }
  out.store = false;
  out.stream = true;
  const system: string[] = [];
  out.input = codexInput(body.input, system, drops);
  const given = typeof body.instructions === "string" ? body.instructions.trim() : "";
  const instructions = [...system, given].filter((text) => text !== "").join("\n\n");
  out.instructions = instructions === "" ? DEFAULT_CODEX_INSTRUCTIONS : instructions;
  return { ok: true, body: out, dropped: drops.list, stream: body.stream === true };
}

function codexInput(input: Json | undefined, system: string[], drops: Drops): Json[] {
  if (typeof input === "string") {
    return input === ""
      ? []
      : [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  }
  if (!Array.isArray(input)) return [];
  const items: Json[] = [];
  input.forEach((item, i) => {
    if (!isObject(item)) return void items.push(item);
    const type = str(item, "type");
    if (type === "item_reference") {
      return drops.add(`input[${i}]`, "nothing is stored on a ChatGPT (Codex) account to refer to");
    }
    if (type === "reasoning" && typeof item.encrypted_content !== "string") {
      return drops.add(
        `input[${i}]`,
        "a reasoning item without encrypted_content needs stored state",
      );
    }
    if (str(item, "role") === "system" && (type === undefined || type === "message")) {
      system.push(textOf(item.content));
      return;
    }
    if (item.id === undefined) return void items.push(item);
    const { id: _id, ...rest } = item;
    drops.add("input[].id", "item ids resolve only against stored items");
    items.push(rest);
  });
  return items;
}

function textOf(content: Json | undefined): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => isObject(part) ? str(part, "text") ?? "" : "").join("");
}

function refuse(field: string, message: string): CodexRequest {
  return { ok: false, error: new TranslationError(field, message) };
}
