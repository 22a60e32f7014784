/**
 * Small pieces the decoders and encoders share: building turns (consecutive
 * parts of one role merge into one turn, as Anthropic requires and the other
 * APIs allow), data URLs, tool arguments as JSON, and the request fields of
 * the canonical model every decoder reads the same way.
 *
 * @module
 */

import { isObject, type Json, type JsonObject, num, str } from "../json.ts";
import { type IrPart, type IrRequest, type IrSource, type IrTurn, TranslationError } from "./ir.ts";

/** Adds `part` to the last turn when it has `role`, else starts a turn. */
export function pushPart(turns: IrTurn[], role: IrTurn["role"], part: IrPart): void {
  const last = turns.at(-1);
  if (last?.role === role) last.parts.push(part);
  else turns.push({ role, parts: [part] });
}

/** Merges adjacent turns of one role and removes empty ones (after parts were dropped). */
export function tidyTurns(turns: IrTurn[]): IrTurn[] {
  const out: IrTurn[] = [];
  for (const turn of turns) {
    if (turn.parts.length === 0) continue;
    const last = out.at(-1);
    if (last?.role === turn.role) last.parts.push(...turn.parts);
    else out.push({ role: turn.role, parts: [...turn.parts] });
  }
  return out;
}

/** The text parts of `parts`, joined. */
export function joinText(parts: readonly IrPart[], separator = ""): string {
  return parts.flatMap((part) => part.type === "text" ? [part.text] : []).join(separator);
}

/** `data:<type>;base64,<data>` split up; `undefined` for any other URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1] ?? "application/octet-stream", data: match[2] } : undefined;
}

/** A data URL. */
export function dataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

/** An image or file source from a URL that may be a data URL. */
export function sourceFromUrl(url: string): IrSource {
  const inline = parseDataUrl(url);
  return inline ? { kind: "base64", ...inline } : { kind: "url", url };
}

/** A file's inline data (a data URL, or bare base64 typed by the file name). */
export function sourceFromFileData(data: string, filename?: string): IrSource {
  const inline = parseDataUrl(data);
  if (inline) return { kind: "base64", ...inline };
  const pdf = !filename || filename.toLowerCase().endsWith(".pdf");
  return { kind: "base64", mediaType: pdf ? "application/pdf" : "text/plain", data };
}

/** Decodes base64 text (UTF-8); `undefined` when it is not base64. */
export function decodeBase64Text(data: string): string | undefined {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** Tool arguments text as an object; `undefined` when it is not a JSON object. */
export function parseArguments(text: string): Record<string, unknown> | undefined {
  if (text.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON Schema object from a tool definition, defaulting to an empty object schema. */
export function schemaOf(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : { type: "object", properties: {} };
}

/** String values of a metadata object (others are not metadata any API accepts). */
export function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === "string") out[key] = item;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `stop` as a list (Chat allows a string or an array). */
export function stopList(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return undefined;
  const list = value.filter((item): item is string => typeof item === "string");
  return list.length > 0 ? list : undefined;
}

/** A non-negative integer field. */
export function count(object: JsonObject | undefined, key: string): number | undefined {
  const value = num(object, key);
  return value !== undefined && value >= 0 ? Math.floor(value) : undefined;
}

/** The 400 for a request body that is not a JSON object. */
export function bodyNotAnObject(): TranslationError {
  return new TranslationError("body", "the request body must be a JSON object");
}

/** A request body as a JSON object; a 400 otherwise. */
export function requestBody(body: unknown): JsonObject {
  if (!isObject(body)) throw bodyNotAnObject();
  return body;
}

/** A request body with its `messages` array (Chat and Messages); a 400 otherwise. */
export function withMessages(raw: unknown): { body: JsonObject; messages: Json[] } {
  const body = requestBody(raw);
  const messages = body.messages;
  if (!Array.isArray(messages)) {
    throw new TranslationError("messages", "`messages` must be an array");
  }
  return { body, messages };
}

/** The fields every API's request spells alike (`model`, `stream`, `temperature`, `top_p`), the rest empty. */
export function newRequest(body: JsonObject): IrRequest {
  return {
    model: str(body, "model") ?? "",
    instructions: [],
    turns: [],
    tools: [],
    stream: body.stream === true,
    includeUsage: false,
    temperature: num(body, "temperature"),
    topP: num(body, "top_p"),
  };
}

/** A stable id for a synthetic item (`prefix_<n>`). */
export function syntheticId(prefix: string, seed: string, n: number): string {
  const base = seed.replace(/[^a-zA-Z0-9]/g, "").slice(-24) || "0";
  return `${prefix}_${base}_${n}`;
}

/** Reports every top-level field of `body` that no decoder step handled. */
export function dropUnhandled(
  body: JsonObject,
  handled: ReadonlySet<string>,
  drops: { add(field: string, reason: string): void },
): void {
  for (const key of Object.keys(body)) {
    if (!handled.has(key)) drops.add(key, "no counterpart in the other API");
  }
}

/** A reasoning effort for a thinking budget (Anthropic `budget_tokens`). */
export function effortFromBudget(budget: number): string {
  return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
}

/** A thinking budget for a reasoning effort; `undefined` for no reasoning. */
export function budgetFromEffort(effort: string): number | undefined {
  const budgets: Record<string, number> = {
    minimal: 1024,
    low: 2048,
    medium: 8192,
    high: 16384,
    xhigh: 32768,
    max: 32768,
  };
  return budgets[effort];
}

/** The longest call id and `user` OpenAI takes (`string_above_max_length` beyond). */
export const OPENAI_MAX_ID = 64;

/**
 * An id cut to `max` characters, deterministically: a long id keeps its head
 * and gains a hash of the whole, so a call and its result, translated apart
 * (even in different requests), still get the same id.
 */
export function fitId(id: string, max = OPENAI_MAX_ID): string {
  if (id.length <= max) return id;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  const tail = `_${hash.toString(16).padStart(8, "0")}`;
  return id.slice(0, max - tail.length) + tail;
}

/** The `user` for an OpenAI upstream; a longer one (Claude Code's is ~150 characters) is dropped. */
export function openAiUser(
  user: string | undefined,
  drops: { add(field: string, reason: string): void },
): string | undefined {
  if (user === undefined || user.length <= OPENAI_MAX_ID) return user;
  drops.add("user", `OpenAI takes at most ${OPENAI_MAX_ID} characters`);
  return undefined;
}
