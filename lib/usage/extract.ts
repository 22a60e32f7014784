/**
 * Token usage from upstream answers, as pure functions and a small
 * incremental scanner. Tokens are normalised to three numbers:
 * - `input`: every prompt token, cached or not (OpenAI `prompt_tokens` /
 *   `input_tokens`; Anthropic `input_tokens` + `cache_creation_input_tokens`
 *   + `cache_read_input_tokens`);
 * - `output`: generated tokens;
 * - `cached`: prompt tokens served from the cache (OpenAI `cached_tokens`,
 *   Anthropic `cache_read_input_tokens`).
 *
 * Sources: a JSON body's `usage`; an OpenAI chat stream's final usage chunk;
 * a Responses stream's `response.completed` (or `incomplete`/`failed`);
 * Anthropic's `message_start` and `message_delta` events.
 *
 * @module
 */

import type { Surface } from "../http/errors.ts";

/** Normalised token counts. */
export interface TokenUsage {
  input: number;
  output: number;
  cached: number;
}

/** What a scan found. */
export interface UsageReport {
  usage?: TokenUsage;
  model?: string;
  /** Content deltas seen in a stream: the output estimate when no usage arrived. */
  deltas: number;
  /** The id of a stored response (Responses API) in the body; never one with `store: false`. */
  responseId?: string;
}

/** Normalises a `usage` object of any surface; `undefined` when it holds no counts. */
export function normaliseUsage(raw: unknown, surface: Surface): TokenUsage | undefined {
  if (!isObject(raw)) return undefined;
  if (typeof raw.prompt_tokens === "number") {
    // OpenAI chat completions, completions, embeddings.
    return {
      input: raw.prompt_tokens,
      output: num(raw.completion_tokens),
      cached: num(field(raw.prompt_tokens_details, "cached_tokens")),
    };
  }
  if (typeof raw.input_tokens !== "number" && typeof raw.output_tokens !== "number") {
    return undefined;
  }
  if (surface === "anthropic") {
    const cacheRead = num(raw.cache_read_input_tokens);
    return {
      input: num(raw.input_tokens) + num(raw.cache_creation_input_tokens) + cacheRead,
      output: num(raw.output_tokens),
      cached: cacheRead,
    };
  }
  // OpenAI Responses.
  return {
    input: num(raw.input_tokens),
    output: num(raw.output_tokens),
    cached: num(field(raw.input_tokens_details, "cached_tokens")),
  };
}

/** Usage and model from a whole JSON response body. */
export function usageFromJsonText(text: string, surface: Surface): UsageReport {
  try {
    const body = JSON.parse(text);
    if (!isObject(body)) return { deltas: 0 };
    // Responses API objects nest nothing; `response` wrappers appear only in streams.
    const report: UsageReport = {
      usage: normaliseUsage(body.usage, surface),
      model: typeof body.model === "string" ? body.model : undefined,
      deltas: 0,
    };
    const responseId = storedResponseId(body);
    return responseId ? { ...report, responseId } : report;
  } catch {
    return { deltas: 0 };
  }
}

/**
 * Usage from the tail of a JSON body too large to keep whole: the last
 * top-level-looking `"usage": {...}` object. Model from the head.
 */
export function usageFromJsonEnds(head: string, tail: string, surface: Surface): UsageReport {
  const report = usageFromJsonTail(head, tail, surface);
  // OpenAI writes a response's id and object first; `store` comes after the output, out of reach.
  const responseId = RESPONSE_HEAD.exec(head)?.[1];
  return responseId ? { ...report, responseId } : report;
}

/** The start of a Responses object: `{"id": "...", "object": "response"` (or `"response.…"`). */
const RESPONSE_HEAD = /^\s*\{\s*"id"\s*:\s*"([^"\\]{1,256})"\s*,\s*"object"\s*:\s*"response[."]/;

/** The id of a stored Responses object (a response or a compaction), if `body` is one. */
function storedResponseId(body: Record<string, unknown>): string | undefined {
  const object = body.object;
  if (typeof body.id !== "string" || typeof object !== "string") return undefined;
  if (object !== "response" && !object.startsWith("response.")) return undefined;
  return body.store === false ? undefined : body.id;
}

function usageFromJsonTail(head: string, tail: string, surface: Surface): UsageReport {
  const model = /"model"\s*:\s*"([^"\\]{1,200})"/.exec(head)?.[1];
  let at = tail.length;
  while ((at = tail.lastIndexOf('"usage"', at - 1)) > 0) {
    if (tail[at - 1] === "\\") continue;
    const open = tail.indexOf("{", at);
    const object = open >= 0 ? balancedObject(tail, open) : undefined;
    if (!object) continue;
    try {
      return { usage: normaliseUsage(JSON.parse(object), surface), model, deltas: 0 };
    } catch {
      continue;
    }
  }
  return { model, deltas: 0 };
}

/** Data lines worth parsing: they may carry usage or the message envelope. */
const INTERESTING =
  /"usage"\s*:\s*\{|"type"\s*:\s*"(message_start|message_delta|response\.(created|completed|incomplete|failed))"/;
const MODEL = /"model"\s*:\s*"([^"\\]{1,200})"/;

/**
 * Follows a server-sent event stream line by line and keeps the latest usage.
 * It only copies the incomplete last line of a chunk; parsing is limited to
 * the few data lines that can carry usage.
 */
export class SseUsageScanner {
  #partial = "";
  #event = "";
  #usage: TokenUsage | undefined;
  #anthropicStart: TokenUsage | undefined;
  #model: string | undefined;
  #deltas = 0;
  #responseId: string | undefined;

  /** `onResponseId` hears a stored response's id the moment its event passes. */
  constructor(
    private readonly surface: Surface,
    private readonly onResponseId?: (id: string) => void,
  ) {}

  /** Feeds decoded text. */
  push(text: string): void {
    const joined = this.#partial + text;
    if (this.#model !== undefined && !MAYBE_INTERESTING.test(joined)) {
      // The common chunk: content only. Count the deltas of its complete lines in one scan and
      // keep the unfinished line (counted once it is complete, however the stream was cut).
      const cut = joined.lastIndexOf("\n");
      if (cut >= 0) {
        this.#deltas += countDeltas(joined.slice(0, cut + 1), this.surface);
        this.#partial = joined.slice(cut + 1);
        this.#event = eventBefore(joined, cut) ?? this.#event;
      } else this.#partial = joined;
      if (this.#partial.length > 1_048_576) this.#partial = ""; // a runaway line: stop keeping it
      return;
    }
    const lines = joined.split("\n");
    this.#partial = lines.pop() ?? "";
    if (this.#partial.length > 1_048_576) this.#partial = ""; // a runaway line: stop keeping it
    for (const raw of lines) this.#line(raw.endsWith("\r") ? raw.slice(0, -1) : raw);
  }

  /** Ends the stream (a last line without its newline still counts). */
  end(): void {
    if (this.#partial) this.#line(this.#partial);
    this.#partial = "";
  }

  report(): UsageReport {
    let usage = this.#usage;
    if (!usage && this.#anthropicStart) {
      // Cut off before message_delta: message_start's input, and the output streamed so far.
      usage = { ...this.#anthropicStart };
      usage.output = Math.max(usage.output, this.#deltas);
    }
    const report: UsageReport = { usage, model: this.#model, deltas: this.#deltas };
    return this.#responseId ? { ...report, responseId: this.#responseId } : report;
  }

  #line(line: string): void {
    if (line === "") {
      this.#event = "";
      return;
    }
    if (line.startsWith("event:")) {
      this.#event = line.slice(6).trim();
      return;
    }
    if (!line.startsWith("data:")) return;
    const data = line.slice(5).trimStart();
    if (this.#model === undefined) this.#model = MODEL.exec(data)?.[1];
    if (this.#isDelta(data)) this.#deltas++;
    if (!INTERESTING.test(data)) return;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (!isObject(event)) return;
    this.#take(event);
  }

  #isDelta(data: string): boolean {
    return countDeltas(data, this.surface) > 0;
  }

  #take(event: Record<string, unknown>): void {
    const type = typeof event.type === "string" ? event.type : this.#event;
    if (this.surface === "anthropic") {
      if (type === "message_start" && isObject(event.message)) {
        const message = event.message;
        if (typeof message.model === "string") this.#model = message.model;
        this.#anthropicStart = normaliseUsage(message.usage, "anthropic");
        return;
      }
      if (type === "message_delta" && isObject(event.usage)) {
        // message_delta counts are cumulative; input fields appear only on some versions.
        const start = this.#anthropicStart ?? { input: 0, output: 0, cached: 0 };
        const delta = event.usage;
        const hasInput = typeof delta.input_tokens === "number";
        const merged = hasInput ? normaliseUsage(delta, "anthropic")! : { ...start };
        merged.output = num(delta.output_tokens);
        this.#usage = merged;
      }
      return;
    }
    if (type.startsWith("response.") && isObject(event.response)) {
      const response = event.response;
      if (typeof response.model === "string") this.#model = response.model;
      if (this.#responseId === undefined && typeof response.id === "string") {
        this.#responseId = response.store === false ? "" : response.id;
        if (this.#responseId) this.onResponseId?.(this.#responseId);
      }
      const usage = normaliseUsage(response.usage, "openai");
      if (usage) this.#usage = usage;
      return;
    }
    const usage = normaliseUsage(event.usage, "openai");
    if (usage) this.#usage = usage;
  }
}

/** Text that may hold usage or a message envelope; anything else only counts deltas. */
const MAYBE_INTERESTING =
  /"usage"|message_start|message_delta|response\.(created|completed|incomplete|failed)/;
const ANTHROPIC_DELTA = /"content_block_delta"/g;
const OPENAI_DELTA =
  /"response\.output_text\.delta"|"delta"\s*:\s*\{[^{}]*"(content|text|arguments|refusal)"\s*:\s*"[^"]/g;

/** Content deltas in a piece of stream text: one per line that carries one. */
function countDeltas(text: string, surface: Surface): number {
  const pattern = surface === "anthropic" ? ANTHROPIC_DELTA : OPENAI_DELTA;
  pattern.lastIndex = 0;
  let count = 0;
  for (let match; (match = pattern.exec(text)) !== null;) {
    count++;
    // The same count as the line-by-line path: a second match on this line adds nothing.
    const next = text.indexOf("\n", match.index);
    if (next < 0) break;
    pattern.lastIndex = next + 1;
  }
  return count;
}

/** The SSE `event:` name in force at `end` of `text`, if the text shows it. */
function eventBefore(text: string, end: number): string | undefined {
  const blank = text.lastIndexOf("\n\n", end);
  const at = text.lastIndexOf("event:", end);
  if (at < 0 || at < blank) return blank >= 0 ? "" : undefined;
  const stop = text.indexOf("\n", at);
  return text.slice(at + 6, stop < 0 ? undefined : stop).trim();
}

/** Is this SSE event (its data) OpenAI's final chat usage chunk? */
export function isChatUsageChunk(data: string): boolean {
  if (!/"usage"\s*:\s*\{/.test(data)) return false;
  try {
    const chunk = JSON.parse(data);
    return isObject(chunk) && Array.isArray(chunk.choices) && chunk.choices.length === 0 &&
      isObject(chunk.usage);
  } catch {
    return false;
  }
}

function balancedObject(text: string, open: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "{") depth++;
    else if (char === "}" && --depth === 0) return text.slice(open, i + 1);
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}
