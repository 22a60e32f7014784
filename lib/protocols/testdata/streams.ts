/**
 * Upstream event streams for the translator tests, one per API, written from
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

let seq = 0;
const event = (fields: Record<string, unknown> & { type: string }) =>
  named({ ...fields, sequence_number: seq++ });
const response = (status: string, output: unknown[], usage: unknown) => ({
  id: "resp_7",
  object: "response",
  created_at: 1700000000,
  status,
  model: "gpt-5",
  output,
  usage,
});
const fc = (id: string, callId: string, args: string) => ({
  type: "function_call",
  id,
  call_id: callId,
  name: "get_weather",
  arguments: args,
  status: args ? "completed" : "in_progress",
});

/** An OpenAI Responses stream, `response.completed` with an empty `output` as the Codex backend sends it. */
export const RESPONSES_STREAM: SseEvent[] = [
  event({ type: "response.created", response: response("in_progress", [], null) }),
  event({ type: "response.in_progress", response: response("in_progress", [], null) }),
  event({
    type: "response.output_item.added",
    output_index: 0,
    item: { type: "reasoning", id: "rs_1", summary: [] },
  }),
  event({
    type: "response.reasoning_summary_part.added",
    item_id: "rs_1",
    output_index: 0,
    summary_index: 0,
    part: { type: "summary_text", text: "" },
  }),
  event({
    type: "response.reasoning_summary_text.delta",
    item_id: "rs_1",
    output_index: 0,
    summary_index: 0,
    delta: "Weather needs ",
  }),
  event({
    type: "response.reasoning_summary_text.delta",
    item_id: "rs_1",
    output_index: 0,
    summary_index: 0,
    delta: "two lookups.",
  }),
  event({
    type: "response.output_item.done",
    output_index: 0,
    item: {
      type: "reasoning",
      id: "rs_1",
      summary: [{ type: "summary_text", text: "Weather needs two lookups." }],
      encrypted_content: "gAAAA",
    },
  }),
  event({
    type: "response.output_item.added",
    output_index: 1,
    item: { type: "message", id: "msg_1", role: "assistant", status: "in_progress", content: [] },
  }),
  event({
    type: "response.output_text.delta",
    item_id: "msg_1",
    output_index: 1,
    content_index: 0,
    delta: "Checking ",
  }),
  event({
    type: "response.output_text.delta",
    item_id: "msg_1",
    output_index: 1,
    content_index: 0,
    delta: "both cities.",
  }),
  event({
    type: "response.output_text.done",
    item_id: "msg_1",
    output_index: 1,
    content_index: 0,
    text: "Checking both cities.",
  }),
  event({
    type: "response.output_item.done",
    output_index: 1,
    item: {
      type: "message",
      id: "msg_1",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "Checking both cities.", annotations: [] }],
    },
  }),
  event({ type: "response.output_item.added", output_index: 2, item: fc("fc_A", "call_A", "") }),
  event({
    type: "response.function_call_arguments.delta",
    item_id: "fc_A",
    output_index: 2,
    delta: '{"city":',
  }),
  event({
    type: "response.function_call_arguments.delta",
    item_id: "fc_A",
    output_index: 2,
    delta: '"Paris"}',
  }),
  event({
    type: "response.output_item.done",
    output_index: 2,
    item: fc("fc_A", "call_A", '{"city":"Paris"}'),
  }),
  event({ type: "response.output_item.added", output_index: 3, item: fc("fc_B", "call_B", "") }),
  event({
    type: "response.function_call_arguments.delta",
    item_id: "fc_B",
    output_index: 3,
    delta: '{"city":"Oslo"}',
  }),
  event({
    type: "response.output_item.done",
    output_index: 3,
    item: fc("fc_B", "call_B", '{"city":"Oslo"}'),
  }),
  event({
    type: "response.completed",
    response: response("completed", [], {
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 30 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 5 },
      total_tokens: 120,
    }),
  }),
];
