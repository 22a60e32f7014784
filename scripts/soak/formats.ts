/**
 * Upstream answers in the three API formats (OpenAI Chat Completions, OpenAI
 * Responses, Anthropic Messages), as JSON and as server-sent events. Every
 * answer names the upstream response it belongs to: the response id carries
 * the marker (`chatcmpl-r17`, `resp_r17`, `msg_r17`) and content event `k`
 * says `[r17:k]`, so a client can tell whether a stream came from exactly one
 * upstream response, whole. Pure.
 *
 * @module
 */

import { anthropicMessage, chatCompletion } from "../support/mock_upstream.ts";
import type { Surface } from "./faults.ts";

/** Token counts normalised as the gateway records them (README, Usage accounting). */
export interface Tokens {
  input: number;
  output: number;
  cached: number;
}

/** The raw usage numbers an answer reports. */
export interface RawUsage {
  input: number;
  output: number;
  /** OpenAI cached prompt tokens, Anthropic cache reads. */
  cached: number;
  /** Anthropic cache writes (counted as input). */
  cacheWrite: number;
}

/** One server-sent event: name (or none) and its data line. */
export type Sse = [string | null, string];

/** A streamed answer in three parts, so faults can cut it between them. */
export interface StreamParts {
  /** Events before the first content (held by the gateway for Responses and Messages). */
  preamble: Sse[];
  content: Sse[];
  /** Everything after the content, ending with the format's terminal event. */
  tail: Sse[];
  /** Sent just before the first content event (Anthropic's `content_block_start`). */
  opening?: Sse;
  /** What the usage report in `tail` amounts to, if the stream has one. */
  usage?: Tokens;
  /** Anthropic `message_start` usage (what a stream cut after it is charged). */
  startUsage?: Tokens;
}

/** What the gateway charges for an answer's usage object (README rules). */
export function normalised(surface: Surface, raw: RawUsage): Tokens {
  if (surface === "messages") {
    return {
      input: raw.input + raw.cacheWrite + raw.cached,
      output: raw.output,
      cached: raw.cached,
    };
  }
  return { input: raw.input, output: raw.output, cached: raw.cached };
}

/** The content text of event `k` of response `marker`. */
function contentText(marker: string, k: number): string {
  // A non-ASCII letter, so splitting bytes at random also splits UTF-8 sequences.
  return `[${marker}:${k}]é `;
}

function contentOf(marker: string, n: number): string {
  return Array.from({ length: n }, (_, k) => contentText(marker, k)).join("");
}

/** A whole JSON success body. */
export function successJson(
  surface: Surface,
  marker: string,
  n: number,
  model: string,
  raw: RawUsage,
): unknown {
  const text = contentOf(marker, n);
  if (surface === "chat") {
    return {
      ...chatCompletion(text, model) as object,
      id: `chatcmpl-${marker}`,
      usage: chatUsage(raw),
    };
  }
  if (surface === "responses") return responseObject(marker, model, "completed", text, raw);
  return {
    ...anthropicMessage(text, model) as object,
    id: `msg_${marker}`,
    usage: anthropicUsage(raw, raw.output),
  };
}

/** A streamed success, in parts. `includeUsage`: the chat request asked for its usage chunk. */
export function successStream(
  surface: Surface,
  marker: string,
  n: number,
  model: string,
  raw: RawUsage,
  includeUsage: boolean,
): StreamParts {
  const ks = Array.from({ length: n }, (_, k) => k);
  if (surface === "chat") {
    const chunk = (delta: unknown, finish: string | null) =>
      JSON.stringify({
        id: `chatcmpl-${marker}`,
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...(includeUsage ? { usage: null } : {}),
      });
    const tail: Sse[] = [[null, chunk({}, "stop")]];
    if (includeUsage) {
      tail.push([
        null,
        JSON.stringify({
          id: `chatcmpl-${marker}`,
          object: "chat.completion.chunk",
          created: 1_700_000_000,
          model,
          choices: [],
          usage: chatUsage(raw),
        }),
      ]);
    }
    tail.push([null, "[DONE]"]);
    return {
      preamble: [[null, chunk({ role: "assistant", content: "" }, null)]],
      content: ks.map((k) => [null, chunk({ content: contentText(marker, k) }, null)]),
      tail,
      usage: includeUsage ? normalised(surface, raw) : undefined,
    };
  }
  if (surface === "responses") {
    const event = (type: string, body: Record<string, unknown>): Sse => [
      type,
      JSON.stringify({ type, ...body }),
    ];
    const started = responseObject(marker, model, "in_progress", "", null);
    return {
      preamble: [
        event("response.created", { response: started }),
        event("response.in_progress", { response: started }),
      ],
      content: ks.map((k) =>
        event("response.output_text.delta", {
          item_id: `msg_${marker}`,
          output_index: 0,
          content_index: 0,
          delta: contentText(marker, k),
        })
      ),
      tail: [
        event("response.output_text.done", {
          item_id: `msg_${marker}`,
          output_index: 0,
          content_index: 0,
          text: contentOf(marker, n),
        }),
        event("response.completed", {
          response: responseObject(marker, model, "completed", contentOf(marker, n), raw),
        }),
      ],
      usage: normalised(surface, raw),
    };
  }
  const event = (type: string, body: Record<string, unknown>): Sse => [
    type,
    JSON.stringify({ type, ...body }),
  ];
  const start = anthropicUsage(raw, 1);
  // The preamble is what the gateway holds (README: message_start, ping); the content
  // block opens with the content, so a cut after the preamble is before any content.
  return {
    preamble: [
      event("message_start", {
        message: {
          id: `msg_${marker}`,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: start,
        },
      }),
      event("ping", {}),
    ],
    content: ks.map((k) =>
      event("content_block_delta", {
        index: 0,
        delta: { type: "text_delta", text: contentText(marker, k) },
      })
    ),
    tail: [
      event("content_block_stop", { index: 0 }),
      event("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: raw.output },
      }),
      event("message_stop", {}),
    ],
    opening: event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    usage: normalised(surface, raw),
    startUsage: normalised(surface, { ...raw, output: 1 }),
  };
}

/** An error event that a stream sends before any content (a usage limit or an overload). */
export function preambleError(
  surface: Surface,
  variant: "usage" | "overloaded",
  resetsInSeconds: number,
): Sse {
  if (surface === "messages") {
    const error = variant === "overloaded"
      ? { type: "overloaded_error", message: "Overloaded" }
      : { type: "rate_limit_error", message: "rate limit exceeded" };
    return ["error", JSON.stringify({ type: "error", error })];
  }
  const error = variant === "overloaded"
    ? { code: "server_is_overloaded", message: "The server is overloaded (capacity)" }
    : {
      code: "usage_limit_reached",
      message: "The usage limit has been reached",
      resets_in_seconds: resetsInSeconds,
    };
  return ["response.failed", JSON.stringify({ type: "response.failed", response: { error } })];
}

/** Encodes events with LF or CRLF line ends. */
export function sseText(events: readonly Sse[], crlf: boolean): string {
  const nl = crlf ? "\r\n" : "\n";
  return events.map(([name, data]) => `${name ? `event: ${name}${nl}` : ""}data: ${data}${nl}${nl}`)
    .join("");
}

/** An error body in the account platform's shape. */
export function errorBody(
  platform: "openai" | "anthropic",
  type: string,
  message: string,
  extra: Record<string, unknown> = {},
): unknown {
  return platform === "anthropic"
    ? { type: "error", error: { type, message, ...extra } }
    : { error: { message, type, param: null, code: type, ...extra } };
}

function chatUsage(raw: RawUsage): unknown {
  return {
    prompt_tokens: raw.input,
    completion_tokens: raw.output,
    total_tokens: raw.input + raw.output,
    prompt_tokens_details: { cached_tokens: raw.cached },
  };
}

function anthropicUsage(raw: RawUsage, output: number): unknown {
  return {
    input_tokens: raw.input,
    cache_creation_input_tokens: raw.cacheWrite,
    cache_read_input_tokens: raw.cached,
    output_tokens: output,
  };
}

function responseObject(
  marker: string,
  model: string,
  status: string,
  text: string,
  raw: RawUsage | null,
): unknown {
  return {
    id: `resp_${marker}`,
    object: "response",
    status,
    model,
    output: text
      ? [{
        type: "message",
        id: `msg_${marker}`,
        role: "assistant",
        content: [{ type: "output_text", text }],
      }]
      : [],
    usage: raw
      ? {
        input_tokens: raw.input,
        output_tokens: raw.output,
        total_tokens: raw.input + raw.output,
        input_tokens_details: { cached_tokens: raw.cached },
      }
      : null,
  };
}
