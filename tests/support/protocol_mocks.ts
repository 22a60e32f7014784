/**
 * Mock upstreams that speak only their own API, for the translation tests:
 * - {@linkcode codexHandler}: the ChatGPT (Codex) backend, `POST /responses`
 *   only, refusing what the real one refuses (`store` not false, missing
 *   `instructions`, `stream` not true, parameters Codex CLI does not send),
 *   always streaming;
 * - {@linkcode anthropicHandler}: Anthropic Messages, `POST /messages` only;
 * - {@linkcode chatHandler}: OpenAI Chat Completions, `POST /chat/completions` only.
 * Each answers a request without tool results with the translator fixtures'
 * answer (two `get_weather` calls, 100 input / 20 output tokens), and one
 * carrying tool results with a short text. Streams go out event by event,
 * each event cut in two mid-line.
 *
 * @module
 */

import { json, type MockHit } from "./upstream.ts";
import { CHAT_STREAM, MESSAGES_STREAM } from "../../lib/protocols/testdata/streams.ts";
import { RESPONSES_STREAM } from "../../lib/protocols/testdata/responses_stream.ts";
import { formatSse, jsonEvent, type SseEvent } from "../../lib/protocols/sse.ts";
import { CODEX_FIELDS } from "../../lib/protocols/codex/request.ts";

/** The text a mock answers once it has the tool results. */
export const FINAL_TEXT = "Sunny in both.";

/** A stream sending each event in two chunks, cut mid-line, one per pull. */
export function eventStream(events: SseEvent[]): Response {
  const encoder = new TextEncoder();
  const chunks = events.flatMap((event) => {
    const bytes = encoder.encode(formatSse(event));
    const cut = Math.max(1, Math.floor(bytes.byteLength / 2));
    return [bytes.slice(0, cut), bytes.slice(cut)];
  });
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index >= chunks.length) controller.close();
      else controller.enqueue(chunks[index++]);
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

const named = (payload: Record<string, unknown> & { type: string }) =>
  jsonEvent(payload, payload.type);

/** The ChatGPT backend: Responses only, its refusals, always a stream. */
export function codexHandler(request: Request, hit: MockHit): Response {
  return codexAnswering()(request, hit);
}

/** The ChatGPT backend mock; with `text`, every answer is that text. */
export function codexAnswering(text?: string): (request: Request, hit: MockHit) => Response {
  return (request, hit) => codexAnswer(request, hit, text);
}

function codexAnswer(request: Request, hit: MockHit, text?: string): Response {
  if (request.method !== "POST" || !new URL(request.url).pathname.endsWith("/responses")) {
    return json(404, { detail: "Not Found" });
  }
  const body = JSON.parse(hit.body);
  if (body.store !== false) return json(400, { detail: "Store must be set to false" });
  if (typeof body.instructions !== "string" || body.instructions === "") {
    return json(400, { detail: "Instructions are required" });
  }
  if (body.stream !== true) return json(400, { detail: "Stream must be set to true" });
  for (const key of Object.keys(body)) {
    if (!CODEX_FIELDS.has(key)) return json(400, { detail: `Unsupported parameter: ${key}` });
  }
  const input = Array.isArray(body.input) ? body.input : [];
  const answered = input.some((item: { type?: string }) => item.type === "function_call_output");
  if (text !== undefined) return eventStream(responsesText(text));
  return eventStream(answered ? responsesText() : RESPONSES_STREAM);
}

function responsesText(text = FINAL_TEXT): SseEvent[] {
  const response = (status: string, usage: unknown) => ({
    id: "resp_final",
    object: "response",
    created_at: 1700000000,
    status,
    model: "gpt-5",
    output: [],
    usage,
  });
  const message = (text: string) => ({
    type: "message",
    id: "msg_final",
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [] }],
  });
  return [
    named({ type: "response.created", response: response("in_progress", null) }),
    named({ type: "response.output_item.added", output_index: 0, item: message("") }),
    named({
      type: "response.output_text.delta",
      output_index: 0,
      content_index: 0,
      item_id: "msg_final",
      delta: text,
    }),
    named({ type: "response.output_item.done", output_index: 0, item: message(text) }),
    named({
      type: "response.completed",
      response: response("completed", {
        input_tokens: 150,
        output_tokens: 5,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 155,
      }),
    }),
  ];
}

/** Anthropic Messages only; a stream or one JSON message. */
export function anthropicHandler(request: Request, hit: MockHit): Response {
  return anthropicAnswering()(request, hit);
}

/** The Anthropic mock; with `text`, every streamed answer is that text. */
export function anthropicAnswering(text?: string): (request: Request, hit: MockHit) => Response {
  return (request, hit) => anthropicAnswer(request, hit, text);
}

function anthropicAnswer(request: Request, hit: MockHit, text?: string): Response {
  if (request.method !== "POST" || !new URL(request.url).pathname.endsWith("/messages")) {
    return json(404, { type: "error", error: { type: "not_found_error", message: "Not Found" } });
  }
  const body = JSON.parse(hit.body);
  if (typeof body.max_tokens !== "number") {
    return json(400, {
      type: "error",
      error: { type: "invalid_request_error", message: "max_tokens: Field required" },
    });
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const answered = messages.some((message: { content?: unknown }) =>
    Array.isArray(message.content) &&
    message.content.some((block: { type?: string }) => block.type === "tool_result")
  );
  if (body.stream === true && text !== undefined) return eventStream(messagesText(text));
  if (body.stream === true) return eventStream(answered ? messagesText() : MESSAGES_STREAM);
  if (answered) {
    return json(200, {
      id: "msg_final",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: FINAL_TEXT }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 150, output_tokens: 5 },
    });
  }
  return json(200, {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [
      { type: "text", text: "Checking both cities." },
      { type: "tool_use", id: "toolu_A", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "toolu_B", name: "get_weather", input: { city: "Oslo" } },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 100, output_tokens: 20 },
  });
}

function messagesText(text = FINAL_TEXT): SseEvent[] {
  return [
    named({
      type: "message_start",
      message: {
        id: "msg_final",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-5",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 150, output_tokens: 1 },
      },
    }),
    named({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    named({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text },
    }),
    named({ type: "content_block_stop", index: 0 }),
    named({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 5 },
    }),
    named({ type: "message_stop" }),
  ];
}

/** OpenAI Chat Completions only. */
export function chatHandler(request: Request, hit: MockHit): Response {
  if (request.method !== "POST" || !new URL(request.url).pathname.endsWith("/chat/completions")) {
    return json(404, { error: { message: "Not Found", type: "invalid_request_error" } });
  }
  const body = JSON.parse(hit.body);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const answered = messages.some((message: { role?: string }) => message.role === "tool");
  if (body.stream === true) {
    const events = answered ? chatText() : CHAT_STREAM;
    const usage = body.stream_options?.include_usage === true;
    return eventStream(usage ? events : events.filter((event) => !/"usage"/.test(event.data)));
  }
  return json(200, {
    id: "chatcmpl-final",
    object: "chat.completion",
    created: 1700000000,
    model: "gpt-4.1",
    choices: [{
      index: 0,
      message: { role: "assistant", content: FINAL_TEXT },
      finish_reason: "stop",
    }],
    usage: { prompt_tokens: 150, completion_tokens: 5, total_tokens: 155 },
  });
}

function chatText(): SseEvent[] {
  const chunk = (delta: unknown, finish: string | null, usage?: unknown) =>
    jsonEvent({
      id: "chatcmpl-final",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "gpt-4.1",
      choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
      ...(usage ? { usage } : {}),
    });
  return [
    chunk({ role: "assistant", content: FINAL_TEXT }, null),
    chunk({}, "stop"),
    chunk({}, null, { prompt_tokens: 150, completion_tokens: 5, total_tokens: 155 }),
    { data: "[DONE]" },
  ];
}

/** A Codex (ChatGPT sign-in) account entry on a mock, with a token that needs no refresh. */
export function codexAccount(
  id: string,
  baseUrl: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    platform: "openai",
    baseUrl,
    oauth: {
      accessToken: "codex-access",
      refreshToken: "codex-refresh",
      expiresAt: Date.now() + 24 * 3600_000,
      accountId: "acct-1",
      tokenUrl: "http://127.0.0.1:9/oauth/token",
    },
    ...extra,
  };
}

/**
 * A Codex account whose access token has run out, so its next attempt first
 * refreshes at `tokenUrl` (answering {@linkcode refusedRefresh}, say).
 */
export function expiredCodexAccount(
  id: string,
  baseUrl: string,
  tokenUrl: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const oauth = { accessToken: "expired", refreshToken: "revoked", expiresAt: Date.now() - 1000 };
  return codexAccount(id, baseUrl, { oauth: { ...oauth, tokenUrl }, ...extra });
}

/** A token endpoint's answer to a revoked refresh token: the account needs signing in again. */
export function refusedRefresh(): Response {
  return json(400, { error: "invalid_grant", error_description: "refresh token revoked" });
}
