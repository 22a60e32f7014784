/**
 * A mock upstream for the cost tests: Chat Completions, Responses and
 * Messages, JSON or streamed (each event cut in two mid-line), every answer
 * reporting the token counts below (cached, cache-write and reasoning
 * tokens included), so a test can price them by hand.
 */

import { jsonEvent, type SseEvent } from "../../lib/protocols/sse.ts";
import { eventStream } from "./protocol_mocks.ts";
import { json, type MockHit } from "./upstream.ts";

/** What each API's answer reports. */
export const CHAT_USAGE = {
  prompt_tokens: 1000,
  completion_tokens: 300,
  total_tokens: 1300,
  prompt_tokens_details: { cached_tokens: 200 },
  completion_tokens_details: { reasoning_tokens: 100 },
};
export const RESPONSES_USAGE = {
  input_tokens: 2000,
  input_tokens_details: { cached_tokens: 1000 },
  output_tokens: 500,
  output_tokens_details: { reasoning_tokens: 120 },
  total_tokens: 2500,
};
export const MESSAGES_USAGE = {
  input_tokens: 100,
  cache_creation_input_tokens: 1000,
  cache_read_input_tokens: 2000,
  cache_creation: { ephemeral_5m_input_tokens: 600, ephemeral_1h_input_tokens: 400 },
  output_tokens: 50,
};

/**
 * Answers `/chat/completions`, `/responses` and `/messages` with the model named by the
 * `x-stainless-model` request header (one of the headers the gateway forwards to every
 * account), else its API's default.
 */
export function pricedAnswer(request: Request, hit: MockHit): Response {
  const body = JSON.parse(hit.body || "{}");
  const path = new URL(request.url).pathname;
  const stream = body.stream === true;
  if (path.endsWith("/chat/completions")) {
    const model = request.headers.get("x-stainless-model") ?? "m-chat";
    return stream ? eventStream(chatEvents(model)) : json(200, chatBody(model));
  }
  if (path.endsWith("/responses")) {
    const model = request.headers.get("x-stainless-model") ?? "m-resp";
    return stream ? eventStream(responsesEvents(model)) : json(200, responsesBody(model));
  }
  const model = request.headers.get("x-stainless-model") ?? "m-claude";
  return stream ? eventStream(messagesEvents(model)) : json(200, messagesBody(model));
}

function chatBody(model: string): unknown {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1700000000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
    usage: CHAT_USAGE,
  };
}

function chatEvents(model: string): SseEvent[] {
  const chunk = (extra: Record<string, unknown>) =>
    jsonEvent({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model, ...extra });
  return [
    chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "hi" } }] }),
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
    chunk({ choices: [], usage: CHAT_USAGE }),
    { data: "[DONE]" },
  ];
}

function responseObject(model: string, status: string, text: string, usage: unknown): unknown {
  return {
    id: "resp_1",
    object: "response",
    created_at: 1700000000,
    status,
    model,
    store: false,
    output: text
      ? [{
        type: "message",
        id: "msg_1",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text, annotations: [] }],
      }]
      : [],
    usage,
  };
}

function responsesBody(model: string): unknown {
  return responseObject(model, "completed", "hi", RESPONSES_USAGE);
}

function responsesEvents(model: string): SseEvent[] {
  const named = (payload: Record<string, unknown> & { type: string }) =>
    jsonEvent(payload, payload.type);
  const item = (text: string) => ({
    type: "message",
    id: "msg_1",
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [] }],
  });
  return [
    named({ type: "response.created", response: responseObject(model, "in_progress", "", null) }),
    named({ type: "response.output_item.added", output_index: 0, item: item("") }),
    named({
      type: "response.output_text.delta",
      output_index: 0,
      content_index: 0,
      item_id: "msg_1",
      delta: "hi",
    }),
    named({ type: "response.output_item.done", output_index: 0, item: item("hi") }),
    named({
      type: "response.completed",
      response: responseObject(model, "completed", "hi", RESPONSES_USAGE),
    }),
  ];
}

function messagesBody(model: string): unknown {
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text: "hi" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: MESSAGES_USAGE,
  };
}

function messagesEvents(model: string): SseEvent[] {
  const named = (payload: Record<string, unknown> & { type: string }) =>
    jsonEvent(payload, payload.type);
  return [
    named({
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...MESSAGES_USAGE, output_tokens: 1 },
      },
    }),
    named({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    named({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } }),
    named({ type: "content_block_stop", index: 0 }),
    named({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: MESSAGES_USAGE.output_tokens },
    }),
    named({ type: "message_stop" }),
  ];
}
