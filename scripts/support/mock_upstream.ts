/**
 * A scriptable mock upstream on a real socket (`Deno.serve` on port 0, loopback
 * only). Tests, the demo and the benchmark all use it, so they exercise the
 * gateway over HTTP exactly as a real upstream would.
 *
 * @module
 */

/** One request the mock received. */
export interface MockHit {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

/** A running mock upstream. */
export interface MockUpstream {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  hits: MockHit[];
  close(): Promise<void>;
}

/** Answers a request; may be async and may stream. */
export type MockHandler = (request: Request, hit: MockHit) => Response | Promise<Response>;

/** Starts a mock upstream on an ephemeral loopback port. */
export function startMockUpstream(
  handler: MockHandler,
  options: { record?: boolean } = {},
): MockUpstream {
  const hits: MockHit[] = [];
  const record = options.record ?? true;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      const body = request.body ? await request.text() : "";
      const hit: MockHit = {
        method: request.method,
        path: url.pathname + url.search,
        headers: request.headers,
        body,
      };
      if (record) hits.push(hit);
      return await handler(request, hit);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    hits,
    close: () => server.shutdown(),
  };
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers });
}

/** An OpenAI chat completion. */
export function chatCompletion(content: string, model = "gpt-test"): unknown {
  return {
    id: "chatcmpl-mock",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
  };
}

/** An Anthropic message. */
export function anthropicMessage(text: string, model = "claude-test"): unknown {
  return {
    id: "msg_mock",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 7 },
  };
}

/**
 * A server-sent event stream that emits `events` one by one, `intervalMs`
 * apart. Each event is a `[eventName | null, data]` pair. With `failAfter`,
 * the stream errors after that many events (a mid-stream drop).
 */
export function sse(
  events: [string | null, string][],
  options: { intervalMs?: number; failAfter?: number } = {},
): Response {
  const encoder = new TextEncoder();
  let index = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (options.failAfter !== undefined && index >= options.failAfter) {
        controller.error(new Error("mock upstream dropped the stream"));
        return;
      }
      if (index >= events.length) {
        controller.close();
        return;
      }
      if (index > 0 && options.intervalMs) {
        await new Promise((resolve) => timer = setTimeout(resolve, options.intervalMs));
      }
      const [event, data] = events[index++];
      controller.enqueue(encoder.encode(`${event ? `event: ${event}\n` : ""}data: ${data}\n\n`));
    },
    cancel() {
      clearTimeout(timer);
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

/** OpenAI chat-completion chunks for `words`, ending in `[DONE]`. */
export function chatChunks(words: string[]): [string | null, string][] {
  const chunks: [string | null, string][] = words.map((word) => [
    null,
    JSON.stringify({
      id: "chatcmpl-mock",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "gpt-test",
      choices: [{ index: 0, delta: { content: word }, finish_reason: null }],
    }),
  ]);
  chunks.push([null, "[DONE]"]);
  return chunks;
}

/**
 * The ChatGPT (Codex) backend's Responses stream for `words`, 20 events when
 * there are 12 deltas: `response.created`, `response.in_progress`, the
 * message item and its text part opened, one `response.output_text.delta`
 * per entry of `deltas`, the text, part and item done, and
 * `response.completed` with usage and an empty `output` (as that backend
 * sends it). Every event is named and numbered.
 */
export function responsesEvents(deltas: string[]): [string | null, string][] {
  const text = deltas.join("");
  const response = (status: string, usage: unknown) => ({
    id: "resp_mock",
    object: "response",
    created_at: 1_700_000_000,
    status,
    model: "gpt-test",
    output: [],
    usage,
  });
  const message = (status: string, content: unknown[]) => ({
    id: "msg_mock",
    type: "message",
    status,
    role: "assistant",
    content,
  });
  const part = (text: string) => ({ type: "output_text", text, annotations: [] });
  const at = { item_id: "msg_mock", output_index: 0 };
  const payloads: Record<string, unknown>[] = [
    { type: "response.created", response: response("in_progress", null) },
    { type: "response.in_progress", response: response("in_progress", null) },
    { type: "response.output_item.added", output_index: 0, item: message("in_progress", []) },
    { type: "response.content_part.added", ...at, content_index: 0, part: part("") },
    ...deltas.map((delta) => ({
      type: "response.output_text.delta",
      ...at,
      content_index: 0,
      delta,
      logprobs: [],
    })),
    { type: "response.output_text.done", ...at, content_index: 0, text, logprobs: [] },
    { type: "response.content_part.done", ...at, content_index: 0, part: part(text) },
    {
      type: "response.output_item.done",
      output_index: 0,
      item: message("completed", [part(text)]),
    },
    {
      type: "response.completed",
      response: response("completed", {
        input_tokens: 5,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 7,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 12,
      }),
    },
  ];
  return payloads.map((payload, index) => [
    payload.type as string,
    JSON.stringify({ ...payload, sequence_number: index }),
  ]);
}
