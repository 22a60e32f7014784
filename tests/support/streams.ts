/** SSE bodies in each upstream format, for usage tests; reading a relayed stream. */

import { within } from "./async.ts";

import { setImmediate } from "node:timers";
import { cutAt, eventChunks } from "./splits.ts";

type Event = [string | null, unknown];

/** Encodes events as an SSE body text. */
export function sseText(events: Event[]): string {
  return events.map(([name, data]) =>
    `${name ? `event: ${name}\n` : ""}data: ${
      typeof data === "string" ? data : JSON.stringify(data)
    }\n\n`
  ).join("");
}

/** An SSE response that sends `events` and then, with `stall`, stays open until cancelled. */
export function sseResponse(events: Event[], options: { stall?: boolean } = {}): Response {
  const bytes = new TextEncoder().encode(sseText(events));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      if (!options.stall) controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** OpenAI chat chunks, with the final usage chunk when `includeUsage`. */
export function chatStream(words: string[], includeUsage: boolean, model = "gpt-chat"): Event[] {
  const chunk = (delta: unknown, finish: string | null) => ({
    id: "c1",
    object: "chat.completion.chunk",
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const events: Event[] = [[null, chunk({ role: "assistant", content: "" }, null)]];
  for (const word of words) events.push([null, chunk({ content: word }, null)]);
  events.push([null, chunk({}, "stop")]);
  if (includeUsage) {
    events.push([null, {
      id: "c1",
      object: "chat.completion.chunk",
      model,
      choices: [],
      usage: {
        prompt_tokens: 13,
        completion_tokens: words.length,
        total_tokens: 13 + words.length,
        prompt_tokens_details: { cached_tokens: 3 },
      },
    }]);
  }
  events.push([null, "[DONE]"]);
  return events;
}

/** A Responses API stream ending in response.completed. */
export function responsesStream(words: string[], model = "gpt-resp"): Event[] {
  const events: Event[] = [
    ["response.created", {
      type: "response.created",
      response: { id: "r1", model, status: "in_progress", usage: null },
    }],
  ];
  for (const word of words) {
    events.push(["response.output_text.delta", {
      type: "response.output_text.delta",
      delta: word,
    }]);
  }
  events.push(["response.completed", {
    type: "response.completed",
    response: {
      id: "r1",
      model,
      status: "completed",
      usage: {
        input_tokens: 11,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 6,
        total_tokens: 17,
      },
    },
  }]);
  return events;
}

/** An Anthropic message stream: message_start, text deltas, message_delta, message_stop. */
export function anthropicStream(words: string[], options: { finish?: boolean } = {}): Event[] {
  const events: Event[] = [
    ["message_start", {
      type: "message_start",
      message: {
        id: "m1",
        type: "message",
        role: "assistant",
        model: "claude-test",
        content: [],
        usage: {
          input_tokens: 20,
          cache_creation_input_tokens: 2,
          cache_read_input_tokens: 8,
          output_tokens: 1,
        },
      },
    }],
    ["content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }],
  ];
  for (const word of words) {
    events.push(["content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: word },
    }]);
  }
  if (options.finish !== false) {
    events.push(["content_block_stop", { type: "content_block_stop", index: 0 }]);
    events.push(["message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 9 },
    }]);
    events.push(["message_stop", { type: "message_stop" }]);
  }
  return events;
}

/**
 * An SSE response written the way real upstreams write: `text` cut at `cuts`
 * (byte offsets, so inside a line, a CRLF or a character too; or every event
 * boundary with `"events"`), each piece flushed on its own: after a macrotask
 * by default (enough for every piece to reach the socket, and the reader on
 * the other side, as a read of its own), or after `pauseMs`.
 */
export function trickledResponse(
  text: string,
  cuts: readonly number[] | "events",
  options: { pauseMs?: number } = {},
): Response {
  const bytes = new TextEncoder().encode(text);
  const pieces = cutAt(
    bytes,
    cuts === "events" ? eventChunks(bytes).cuts : [...cuts].sort((a, b) => a - b),
  );
  const pause = () =>
    new Promise((resolve) =>
      options.pauseMs ? setTimeout(resolve, options.pauseMs) : setImmediate(resolve)
    );
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = pieces.shift();
      if (!piece) return controller.close();
      await pause();
      controller.enqueue(piece);
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** Reads from `reader` until the text read so far contains `marker`. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  marker: string,
  seen = "",
): Promise<string> {
  const decoder = new TextDecoder();
  let text = seen;
  while (!text.includes(marker)) {
    const { done, value } = await within(reader.read(), `"${marker}" from the gateway`);
    if (done) throw new Error(`stream ended before "${marker}"; got ${JSON.stringify(text)}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}
