/**
 * Upstream event streams for the translator tests, one per API (the
 * Responses one in `responses_stream.ts`), written from
 * the API references' event grammars (see each API's `types.ts`). Each tells
 * the same answer: a reasoning summary, text, then two tool calls whose
 * arguments arrive in pieces, a tool-use stop and usage of 100 prompt tokens
 * (30 of them cached) and 20 output tokens.
 *
 * @module
 */

import { formatSse, jsonEvent, type SseEvent } from "../sse.ts";

/** Events as SSE text; `crlf` writes CRLF line ends, as some upstreams do. */
export function sseText(events: SseEvent[], crlf = false): string {
  const text = events.map(formatSse).join("");
  return crlf ? text.replaceAll("\n", "\r\n") : text;
}

const named = (payload: Record<string, unknown> & { type: string }) =>
  jsonEvent(payload, payload.type);

/** An Anthropic Messages stream. */
export const MESSAGES_STREAM: SseEvent[] = [
  named({
    type: "message_start",
    message: {
      id: "msg_01",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 70,
        cache_read_input_tokens: 30,
        cache_creation_input_tokens: 0,
        output_tokens: 1,
      },
    },
  }),
  named({ type: "ping" }),
  named({
    type: "content_block_start",
    index: 0,
    content_block: { type: "thinking", thinking: "", signature: "" },
  }),
  named({
    type: "content_block_delta",
    index: 0,
    delta: { type: "thinking_delta", thinking: "Weather needs " },
  }),
  named({
    type: "content_block_delta",
    index: 0,
    delta: { type: "thinking_delta", thinking: "two lookups." },
  }),
  named({
    type: "content_block_delta",
    index: 0,
    delta: { type: "signature_delta", signature: "EqQBCgIYAhIM" },
  }),
  named({ type: "content_block_stop", index: 0 }),
  named({ type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }),
  named({
    type: "content_block_delta",
    index: 1,
    delta: { type: "text_delta", text: "Checking " },
  }),
  named({
    type: "content_block_delta",
    index: 1,
    delta: { type: "text_delta", text: "both cities." },
  }),
  named({ type: "content_block_stop", index: 1 }),
  named({
    type: "content_block_start",
    index: 2,
    content_block: { type: "tool_use", id: "toolu_01A", name: "get_weather", input: {} },
  }),
  named({
    type: "content_block_delta",
    index: 2,
    delta: { type: "input_json_delta", partial_json: '{"city":' },
  }),
  named({
    type: "content_block_delta",
    index: 2,
    delta: { type: "input_json_delta", partial_json: '"Paris"}' },
  }),
  named({ type: "content_block_stop", index: 2 }),
  named({
    type: "content_block_start",
    index: 3,
    content_block: { type: "tool_use", id: "toolu_01B", name: "get_weather", input: {} },
  }),
  named({
    type: "content_block_delta",
    index: 3,
    delta: { type: "input_json_delta", partial_json: '{"city":"Oslo"}' },
  }),
  named({ type: "content_block_stop", index: 3 }),
  named({
    type: "message_delta",
    delta: { stop_reason: "tool_use", stop_sequence: null },
    usage: { output_tokens: 20 },
  }),
  named({ type: "message_stop" }),
];

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  jsonEvent({
    id: "chatcmpl-9",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "gpt-4.1",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

/** An OpenAI Chat Completions stream (with `reasoning_content`, as Chat-compatible upstreams send). */
export const CHAT_STREAM: SseEvent[] = [
  chunk({ role: "assistant", content: "" }),
  chunk({ reasoning_content: "Weather needs " }),
  chunk({ reasoning_content: "two lookups." }),
  chunk({ content: "Checking " }),
  chunk({ content: "both cities." }),
  chunk({
    tool_calls: [{
      index: 0,
      id: "call_A",
      type: "function",
      function: { name: "get_weather", arguments: "" },
    }],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({
    tool_calls: [{
      index: 1,
      id: "call_B",
      type: "function",
      function: { name: "get_weather", arguments: "" },
    }],
  }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '{"city":"Oslo"}' } }] }),
  chunk({}, "tool_calls"),
  jsonEvent({
    id: "chatcmpl-9",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "gpt-4.1",
    choices: [],
    usage: {
      prompt_tokens: 100,
      completion_tokens: 20,
      total_tokens: 120,
      prompt_tokens_details: { cached_tokens: 30 },
      completion_tokens_details: { reasoning_tokens: 5 },
    },
  }),
  { data: "[DONE]" },
];
