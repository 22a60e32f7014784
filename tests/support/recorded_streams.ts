/**
 * Recorded upstream event streams (`tests/fixtures/streams/*.sse`), written
 * from the public API references: OpenAI Chat Completions chunks with and
 * without the `include_usage` chunk, Responses API events from
 * `response.created` to `response.completed`, `response.failed` before
 * content and an `error` event after it, Anthropic Messages from
 * `message_start` to `message_stop`, an `overloaded_error` before content and
 * after it. The files are LF; {@linkcode crlf} gives the CRLF variant. Each
 * comes with what the gateway must find in it, whatever the line endings.
 *
 * @module
 */

import type { Surface } from "../../lib/http/errors.ts";
import type { TokenUsage } from "../../lib/protocols/usage.ts";

/** One recorded stream and what it holds. */
export interface RecordedStream {
  /** The file name without `.sse`. */
  name: string;
  surface: Surface;
  /** The client path that gets this stream. */
  path: "/v1/chat/completions" | "/v1/responses" | "/v1/messages";
  /** The body, LF line endings. */
  text: string;
  /** The usage the stream reports (normalised); none for a stream without a usage report. */
  usage?: TokenUsage;
  model: string;
  /** Content events (the output estimate when no usage arrives). */
  deltas: number;
  /** What the preamble hold decides: content, or the error event (its name) that came first. */
  preamble: "content" | { error: string };
  /** The SSE event that carries the chat usage chunk, if the stream has one. */
  usageChunk?: string;
  /** The stored response's id (Responses streams), remembered for its owner. */
  responseId?: string;
}

const FIXTURES = new URL("../fixtures/streams/", import.meta.url);
const CHAT_MODEL = "gpt-4.1-mini-2025-04-14";
const CLAUDE_MODEL = "claude-sonnet-4-20250514";
const RESPONSE_ID = "resp_6870a1b2c3d4e5f60718293a4b5c6d7e";
const CLAUDE_START = { input: 12 + 100 + 2048, cached: 2048, cacheWrite: 100 };

function load(name: string): string {
  return Deno.readTextFileSync(new URL(`${name}.sse`, FIXTURES));
}

type Expected = Pick<RecordedStream, "usage" | "deltas" | "preamble">;

function recorded(name: string, path: RecordedStream["path"], expected: Expected): RecordedStream {
  const anthropic = path === "/v1/messages";
  const text = load(name);
  return {
    name,
    surface: anthropic ? "anthropic" : "openai",
    path,
    text,
    model: anthropic ? CLAUDE_MODEL : CHAT_MODEL,
    usageChunk: text.split(/(?<=\n\n)/).find((event) => event.includes('"choices":[]')),
    ...expected,
  };
}

function chat(name: string, usage?: TokenUsage): RecordedStream {
  return recorded(name, "/v1/chat/completions", { usage, deltas: 6, preamble: "content" });
}

function responses(name: string, expected: Expected): RecordedStream {
  return { ...recorded(name, "/v1/responses", expected), responseId: RESPONSE_ID };
}

function messages(name: string, expected: Expected): RecordedStream {
  return recorded(name, "/v1/messages", expected);
}

/** Every recorded stream. */
export const RECORDED: readonly RecordedStream[] = [
  chat("chat_usage", { input: 1302, output: 9, cached: 1024 }),
  chat("chat_no_usage"),
  responses("responses", {
    usage: { input: 2087, output: 12, cached: 1920 },
    deltas: 7,
    preamble: "content",
  }),
  responses("responses_failed", { deltas: 0, preamble: { error: "response.failed" } }),
  responses("responses_error_after", { deltas: 3, preamble: "content" }),
  messages("anthropic", {
    usage: { ...CLAUDE_START, output: 15 },
    deltas: 5,
    preamble: "content",
  }),
  // Cut off before message_delta: message_start's counts, output = max(its 1, deltas streamed).
  messages("anthropic_overloaded", {
    usage: { ...CLAUDE_START, output: 1 },
    deltas: 0,
    preamble: { error: "error" },
  }),
  messages("anthropic_error_after", {
    usage: { ...CLAUDE_START, output: 3 },
    deltas: 3,
    preamble: "content",
  }),
];

/** The same stream with CRLF line endings. */
export function crlf(text: string): string {
  return text.replaceAll("\n", "\r\n");
}

/** The stream as a client that did not ask for the chat usage chunk gets it (LF or CRLF). */
export function withoutUsageChunk(stream: RecordedStream, text: string): string {
  if (!stream.usageChunk) return text;
  const chunk = text.includes("\r\n") ? crlf(stream.usageChunk) : stream.usageChunk;
  return text.replace(chunk, "");
}

/** The tokens the gateway records: the usage report, else the streamed deltas as output. */
export function recordedTokens(stream: RecordedStream): TokenUsage | undefined {
  if (stream.usage) return stream.usage;
  return stream.deltas > 0 ? { input: 0, output: stream.deltas, cached: 0 } : undefined;
}

/** Both line-ending variants of every recorded stream. */
export function variants(): { stream: RecordedStream; endings: "LF" | "CRLF"; text: string }[] {
  return RECORDED.flatMap((stream) => [
    { stream, endings: "LF" as const, text: stream.text },
    { stream, endings: "CRLF" as const, text: crlf(stream.text) },
  ]);
}
