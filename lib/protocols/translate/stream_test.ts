import assert from "node:assert/strict";
import { cutAt, oneByteChunks, singleCuts } from "../../../tests/support/splits.ts";
import { jsonEvent, type SseEvent } from "../sse.ts";
import { reassemble } from "../testdata/reassemble.ts";
import { CHAT_STREAM, MESSAGES_STREAM, sseText } from "../testdata/streams.ts";
import { RESPONSES_STREAM } from "../testdata/responses_stream.ts";
import type { Api } from "./ir.ts";
import { StreamTranslator } from "./translate.ts";

const UPSTREAMS: Record<Api, SseEvent[]> = {
  chat: CHAT_STREAM,
  messages: MESSAGES_STREAM,
  responses: RESPONSES_STREAM,
};

const IDS: Record<Api, [string, string]> = {
  chat: ["call_A", "call_B"],
  messages: ["toolu_01A", "toolu_01B"],
  responses: ["call_A", "call_B"],
};

function run(from: Api, to: Api, pieces: (string | Uint8Array)[], includeUsage = true): string {
  const translator = new StreamTranslator(from, to, { includeUsage, now: 1700000001 });
  return pieces.map((piece) => translator.push(piece)).join("") + translator.finish();
}

const STOP: Record<Api, string> = {
  chat: "tool_calls",
  messages: "tool_use",
  responses: "completed",
};

const DIRECTIONS: [Api, Api][] = [
  ["chat", "messages"],
  ["chat", "responses"],
  ["messages", "chat"],
  ["messages", "responses"],
  ["responses", "chat"],
  ["responses", "messages"],
];

for (const [from, to] of DIRECTIONS) {
  Deno.test(`stream ${from} → ${to}: text, reasoning, two tool calls with their ids, stop and usage`, () => {
    const seen = reassemble(run(from, to, [sseText(UPSTREAMS[from])]));
    assert.equal(seen.text, "Checking both cities.");
    // Chat has no reasoning channel; the others show the reasoning summary.
    assert.equal(seen.reasoning, to === "chat" ? "" : "Weather needs two lookups.");
    assert.deepEqual(seen.calls, [
      { id: IDS[from][0], name: "get_weather", args: '{"city":"Paris"}' },
      { id: IDS[from][1], name: "get_weather", args: '{"city":"Oslo"}' },
    ]);
    assert.equal(seen.stop, STOP[to]);
    assert.equal(seen.error, undefined);
    const usage = seen.usage ?? {};
    if (to === "chat") assert.deepEqual([usage.prompt_tokens, usage.completion_tokens], [100, 20]);
    if (to === "responses") assert.deepEqual([usage.input_tokens, usage.output_tokens], [100, 20]);
    if (to === "messages") {
      // Anthropic counts cache reads apart from input_tokens.
      assert.deepEqual([usage.input_tokens, usage.cache_read_input_tokens, usage.output_tokens], [
        70,
        30,
        20,
      ]);
    }
  });

  Deno.test(`stream ${from} → ${to}: every single cut point and one-byte chunks give the same output`, () => {
    for (const crlf of [false, true]) {
      const bytes = new TextEncoder().encode(sseText(UPSTREAMS[from], crlf));
      const whole = run(from, to, [bytes]);
      // Single cuts on the CRLF body (it has every cut the LF one has, and CR|LF ones); one-byte chunks on both.
      const splits = crlf
        ? [...singleCuts(bytes.length), oneByteChunks(bytes.length)]
        : [oneByteChunks(bytes.length)];
      for (const split of splits) {
        assert.equal(
          run(from, to, cutAt(bytes, split.cuts)),
          whole,
          `${split.name} ${split.cuts.slice(0, 3)}`,
        );
      }
    }
  });
}

Deno.test("stream → messages: the client's event grammar, in order", () => {
  const names = reassemble(run("chat", "messages", [sseText(CHAT_STREAM)])).names;
  assert.deepEqual(names, [
    "message_start",
    ...["content_block_start", "content_block_delta", "content_block_delta", "content_block_stop"], // thinking
    ...["content_block_start", "content_block_delta", "content_block_delta", "content_block_stop"], // text
    ...["content_block_start", "content_block_delta", "content_block_delta", "content_block_stop"], // Paris
    ...["content_block_start", "content_block_delta", "content_block_stop"], // Oslo
    "message_delta",
    "message_stop",
  ]);
});

Deno.test("stream → responses: the client's event grammar, with growing sequence numbers", () => {
  const text = run("messages", "responses", [sseText(MESSAGES_STREAM)]);
  const seen = reassemble(text);
  assert.deepEqual(seen.names.slice(0, 2), ["response.created", "response.in_progress"]);
  assert.equal(seen.names.at(-1), "response.completed");
  const added = seen.names.filter((name) => name === "response.output_item.added").length;
  assert.equal(added, 4);
  assert.equal(seen.names.filter((name) => name === "response.output_item.done").length, added);
  const numbers = [...text.matchAll(/"sequence_number":(\d+)/g)].map((match) => Number(match[1]));
  assert.deepEqual(numbers, numbers.map((_, i) => i));
  const completed = JSON.parse(text.trim().split("\n").at(-1)?.slice(6) ?? "{}");
  assert.deepEqual(completed.response.output.map((item: { type: string }) => item.type), [
    "reasoning",
    "message",
    "function_call",
    "function_call",
  ]);
});

Deno.test("stream → chat: the client's chunk grammar ends with finish_reason, usage, [DONE]", () => {
  const seen = reassemble(run("messages", "chat", [sseText(MESSAGES_STREAM)]));
  assert.equal(seen.names.at(-1), "[DONE]");
  assert.equal(seen.names.filter((name) => name === "[DONE]").length, 1);
});

Deno.test("stream → chat: include_usage semantics", () => {
  const withUsage = run("messages", "chat", [sseText(MESSAGES_STREAM)], true);
  const lines = withUsage.trim().split("\n\n");
  const usageChunk = JSON.parse(lines.at(-2)?.slice(6) ?? "{}");
  assert.deepEqual(usageChunk.choices, []);
  assert.equal(usageChunk.usage.prompt_tokens, 100);
  assert.equal(usageChunk.usage.prompt_tokens_details.cached_tokens, 30);
  // Every other chunk says `usage: null`, as OpenAI does when usage was asked for.
  assert.ok(lines.slice(0, -2).every((line) => JSON.parse(line.slice(6)).usage === null));
  const without = run("messages", "chat", [sseText(MESSAGES_STREAM)], false);
  assert.ok(!without.includes('"usage"'), "no usage chunk or field when the client did not ask");
  assert.ok(without.trim().endsWith("data: [DONE]"));
});

Deno.test("stream: each upstream event is answered at once, nothing is held back", () => {
  const translator = new StreamTranslator("messages", "chat", { now: 1 });
  const events = MESSAGES_STREAM.map((event) => sseText([event]));
  assert.match(translator.push(events[0]), /"role":"assistant"/);
  const textEvent = events.findIndex((event) => event.includes("Checking"));
  for (const event of events.slice(1, textEvent)) translator.push(event);
  assert.match(translator.push(events[textEvent]), /"content":"Checking "/);
  // A Responses client gets its item-opening events and the delta together, at once.
  const responses = new StreamTranslator("chat", "responses", { now: 1 });
  responses.push(sseText([CHAT_STREAM[0]]));
  const out = responses.push(sseText([CHAT_STREAM[3]]));
  assert.deepEqual(reassemble(out).names, [
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
  ]);
});

const UPSTREAM_ERRORS: Record<Api, SseEvent> = {
  messages: jsonEvent(
    { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    "error",
  ),
  chat: jsonEvent({
    error: { message: "Overloaded", type: "server_error", param: null, code: "overloaded" },
  }),
  responses: jsonEvent({
    type: "error",
    code: "overloaded",
    message: "Overloaded",
    param: null,
    sequence_number: 3,
  }, "error"),
};

for (const [from, to] of DIRECTIONS) {
  Deno.test(`stream ${from} → ${to}: an error mid-stream becomes the client's error event`, () => {
    const head = UPSTREAMS[from].slice(0, 3);
    const seen = reassemble(run(from, to, [sseText([...head, UPSTREAM_ERRORS[from]])]));
    if (to === "messages") {
      assert.deepEqual(seen.error, { type: "overloaded_error", message: "Overloaded" });
      assert.equal(seen.names.at(-1), "error");
    } else if (to === "chat") {
      assert.deepEqual(seen.error, {
        message: "Overloaded",
        type: "server_error",
        param: null,
        code: "overloaded",
      });
      assert.ok(!seen.names.includes("[DONE]"));
    } else {
      assert.equal(seen.error?.message, "Overloaded");
      assert.equal(seen.error?.code, "overloaded");
      assert.deepEqual(seen.names.slice(-2), ["error", "response.failed"]);
    }
  });
}

Deno.test("stream: an upstream that stops early ends the client's stream with an error", () => {
  for (const [from, to] of DIRECTIONS) {
    const seen = reassemble(run(from, to, [sseText(UPSTREAMS[from].slice(0, 9))]));
    assert.match(String(seen.error?.message), /ended before/, `${from} → ${to}`);
  }
});

Deno.test("stream: Responses response.failed reaches a Messages client as an error event", () => {
  const failed = jsonEvent({
    type: "response.failed",
    sequence_number: 2,
    response: {
      id: "r",
      status: "failed",
      error: { code: "rate_limit_exceeded", message: "Slow down" },
    },
  }, "response.failed");
  const seen = reassemble(run("responses", "messages", [sseText([RESPONSES_STREAM[0], failed])]));
  assert.deepEqual(seen.error, { type: "rate_limit_error", message: "Slow down" });
});

Deno.test("stream: a Chat upstream without [DONE] still ends cleanly after its finish chunk", () => {
  const seen = reassemble(run("chat", "messages", [sseText(CHAT_STREAM.slice(0, -1))]));
  assert.equal(seen.stop, "tool_use");
  assert.equal(seen.error, undefined);
  assert.equal(seen.names.at(-1), "message_stop");
});

Deno.test("stream: a max-tokens stop reaches each client as its own cut-off signal", () => {
  const cut = MESSAGES_STREAM.slice(0, 11).concat([
    jsonEvent({
      type: "message_delta",
      delta: { stop_reason: "max_tokens" },
      usage: { output_tokens: 9 },
    }, "message_delta"),
    jsonEvent({ type: "message_stop" }, "message_stop"),
  ]);
  assert.equal(reassemble(run("messages", "chat", [sseText(cut)])).stop, "length");
  const responses = reassemble(run("messages", "responses", [sseText(cut)]));
  assert.equal(responses.stop, "max_output_tokens");
  assert.equal(responses.names.at(-1), "response.incomplete");
});
