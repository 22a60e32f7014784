/**
 * Token usage from upstream answers, as pure functions and a small
 * incremental scanner, in the gateway's three numbers (`lib/protocols/usage.ts`).
 * What each API sends where is the API's own knowledge
 * (`lib/protocols/<api>/events.ts`); this module finds it in a relayed body.
 *
 * Sources: a JSON body's `usage`; an OpenAI chat stream's final usage chunk;
 * a Responses stream's `response.completed` (or `incomplete`/`failed`);
 * Anthropic's `message_start` and `message_delta` events.
 *
 * @module
 */

import type { Surface } from "../http/errors.ts";
import { SseParser } from "../http/sse.ts";
import { CHAT_DELTA } from "../protocols/chat/events.ts";
import {
  MESSAGE_DELTA,
  MESSAGE_START,
  MESSAGES_DELTA,
  MESSAGES_SIGNED,
  signedMarkOfEvent,
  signedMarksOf,
} from "../protocols/messages/events.ts";
import {
  RESPONSE_HEAD,
  RESPONSES_DELTA,
  RESPONSES_OBJECT_EVENTS,
  storedResponseId,
} from "../protocols/responses/events.ts";
import { isObject, parseJson } from "../protocols/json.ts";
import { type TokenUsage, tokenUsage } from "../protocols/usage.ts";

/** What a scan found. */
export interface UsageReport {
  usage?: TokenUsage;
  model?: string;
  /** Content deltas seen in a stream: the output estimate when no usage arrived. */
  deltas: number;
  /** The id of a stored response (Responses API) in the body; never one with `store: false`. */
  responseId?: string;
  /** The marks of signed thinking in an Anthropic message body read whole (`signedMark`). */
  signed?: string[];
}

/** Usage and model from a whole JSON response body. */
export function usageFromJsonText(text: string, surface: Surface): UsageReport {
  try {
    const body = JSON.parse(text);
    if (!isObject(body)) return { deltas: 0 };
    // Responses API objects nest nothing; `response` wrappers appear only in streams.
    const report: UsageReport = {
      usage: tokenUsage(body.usage, surface),
      model: typeof body.model === "string" ? body.model : undefined,
      deltas: 0,
    };
    const responseId = storedResponseId(body);
    if (responseId) return { ...report, responseId };
    const signed = surface === "anthropic" ? signedMarksOf(body.content) : [];
    return signed.length > 0 ? { ...report, signed } : report;
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

function usageFromJsonTail(head: string, tail: string, surface: Surface): UsageReport {
  const model = /"model"\s*:\s*"([^"\\]{1,200})"/.exec(head)?.[1];
  let at = tail.length;
  while ((at = tail.lastIndexOf('"usage"', at - 1)) > 0) {
    if (tail[at - 1] === "\\") continue;
    const open = tail.indexOf("{", at);
    const object = open >= 0 ? balancedObject(tail, open) : undefined;
    if (!object) continue;
    try {
      return { usage: tokenUsage(JSON.parse(object), surface), model, deltas: 0 };
    } catch {
      continue;
    }
  }
  return { model, deltas: 0 };
}

/** Events that carry usage or the message envelope: a message's, or a response's. */
const ENVELOPE_EVENTS = [MESSAGE_START, MESSAGE_DELTA, ...RESPONSES_OBJECT_EVENTS]
  .map((name) => name.replaceAll(".", "\\."));

/** Data lines worth parsing: they may carry usage or the message envelope. */
const INTERESTING = new RegExp(
  `"usage"\\s*:\\s*\\{|"type"\\s*:\\s*"(${ENVELOPE_EVENTS.join("|")})"`,
);
const MODEL = /"model"\s*:\s*"([^"\\]{1,200})"/;

/**
 * Follows a server-sent event stream line by line and keeps the latest usage.
 * It only copies the incomplete last line of a chunk; parsing is limited to
 * the few data lines that can carry usage.
 */
export class SseUsageScanner {
  readonly #parser = new SseParser(
    { line: (field, value, event) => field === "data" && this.#data(value, event ?? "") },
    { maxLine: MAX_LINE },
  );
  #usage: TokenUsage | undefined;
  #anthropicStart: TokenUsage | undefined;
  #model: string | undefined;
  #deltas = 0;
  #responseId: string | undefined;

  /**
   * `onResponseId` hears a stored response's id the moment its event passes;
   * `onSigned` each mark of signed thinking in an Anthropic stream.
   */
  constructor(
    private readonly surface: Surface,
    private readonly onResponseId?: (id: string) => void,
    private readonly onSigned?: (mark: string) => void,
  ) {}

  /** Feeds decoded text. */
  push(text: string): void {
    const ahead = this.#model === undefined ? "" : this.#parser.unfinished + text;
    if (
      this.#model !== undefined && !MAYBE_INTERESTING.test(ahead) &&
      !(this.onSigned && MESSAGES_SIGNED.test(ahead))
    ) {
      // The common chunk: content only. Count the deltas of its complete lines in one scan; the
      // unfinished line is counted once it is complete, however the stream was cut.
      this.#deltas += countDeltas(this.#parser.skim(text), this.surface);
      return;
    }
    this.#parser.push(text);
  }

  /**
   * Ends the stream. A whole stream's last line counts without its newline; a stream that broke
   * off (`cut`: the upstream went or the client left) counts a last line only once its line
   * ending began (`\r`): a data line cut short was not served, so its delta is not charged.
   */
  end(cut = false): void {
    if (cut && !this.#parser.unfinished.endsWith("\r")) return;
    this.#parser.end();
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

  /** One `data:` line, under the event name in force (`""` for none). */
  #data(data: string, name: string): void {
    if (this.#model === undefined) this.#model = MODEL.exec(data)?.[1];
    if (this.#isDelta(data)) this.#deltas++;
    const signed = this.onSigned !== undefined && MESSAGES_SIGNED.test(data);
    if (!signed && !INTERESTING.test(data)) return;
    const event = parseJson(data);
    if (!isObject(event)) return;
    if (signed) {
      const mark = signedMarkOfEvent(event);
      if (mark) this.onSigned?.(mark);
    }
    this.#take(event, name);
  }

  #isDelta(data: string): boolean {
    return countDeltas(data, this.surface) > 0;
  }

  #take(event: Record<string, unknown>, name: string): void {
    const type = typeof event.type === "string" ? event.type : name;
    if (this.surface === "anthropic") {
      if (type === MESSAGE_START && isObject(event.message)) {
        const message = event.message;
        if (typeof message.model === "string") this.#model = message.model;
        this.#anthropicStart = tokenUsage(message.usage, "anthropic");
        return;
      }
      if (type === MESSAGE_DELTA && isObject(event.usage)) {
        // message_delta counts are cumulative; input fields appear only on some versions.
        const start = this.#anthropicStart ?? { input: 0, output: 0, cached: 0 };
        const delta = event.usage;
        const hasInput = typeof delta.input_tokens === "number";
        const merged = hasInput ? tokenUsage(delta, "anthropic")! : { ...start };
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
      const usage = tokenUsage(response.usage, "openai");
      if (usage) this.#usage = usage;
      return;
    }
    const usage = tokenUsage(event.usage, "openai");
    if (usage) this.#usage = usage;
  }
}

/** An unfinished line longer than this is a runaway line: stop keeping it. */
const MAX_LINE = 1_048_576;

/** Text that may hold usage or a message envelope; anything else only counts deltas. */
const MAYBE_INTERESTING = new RegExp(`"usage"|${ENVELOPE_EVENTS.join("|")}`);
const ANTHROPIC_DELTA = new RegExp(MESSAGES_DELTA.source, "g");
const OPENAI_DELTA = new RegExp(`${RESPONSES_DELTA.source}|${CHAT_DELTA.source}`, "g");

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

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}
