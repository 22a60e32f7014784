/**
 * The Responses upstream stream for the translator tests: the same answer as
 * the other fixtures in `streams.ts`, ending in `response.completed` with an
 * empty `output`, as the ChatGPT (Codex) backend sends it.
 *
 * @module
 */

import { jsonEvent, type SseEvent } from "../sse.ts";

const named = (payload: Record<string, unknown> & { type: string }) =>
  jsonEvent(payload, payload.type);

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

/** The stream. */
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
