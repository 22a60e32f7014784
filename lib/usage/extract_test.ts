/**
 * The usage scanner and JSON readers: usage however a stream is split, from
 * the tail of a body too large to keep, and stored-response ids (from a JSON
 * body, whole or too large to keep, and from a stream's `response.created`
 * event however the stream is cut, reported once; never for `store: false`).
 */

import assert from "node:assert/strict";
import { SseUsageScanner, usageFromJsonEnds, usageFromJsonText } from "./extract.ts";
import {
  anthropicStream,
  chatStream,
  responsesStream,
  sseText,
} from "../../tests/support/streams.ts";

Deno.test("the SSE scanner finds usage however the stream is split into chunks", () => {
  const streams: [string, "openai" | "anthropic", unknown][] = [
    [sseText(chatStream(["a", "b"], true)), "openai", { input: 13, output: 2, cached: 3 }],
    [sseText(responsesStream(["a"])), "openai", { input: 11, output: 6, cached: 4 }],
    [sseText(anthropicStream(["a", "b"])), "anthropic", {
      input: 30,
      output: 9,
      cached: 8,
      cacheWrite: 2,
    }],
  ];
  for (const [text, surface, expected] of streams) {
    for (const size of [1, 7, 64, text.length]) {
      const scanner = new SseUsageScanner(surface);
      for (let i = 0; i < text.length; i += size) scanner.push(text.slice(i, i + size));
      scanner.end();
      assert.deepEqual(scanner.report().usage, expected, `${surface} split by ${size}`);
    }
  }
});

Deno.test("usage from the tail of a JSON body too large to keep", () => {
  const head = '{"id":"x","model":"gpt-big","data":[';
  const tail =
    '0.1,0.2]}],"note":"\\"usage\\": {}","usage":{"prompt_tokens":42,"total_tokens":42}}';
  assert.deepEqual(usageFromJsonEnds(head, tail, "openai"), {
    usage: { input: 42, output: 0, cached: 0 },
    model: "gpt-big",
    deltas: 0,
  });
});

Deno.test("a JSON body's stored response id", () => {
  const body = (value: unknown) => JSON.stringify(value);
  const id = (text: string) => usageFromJsonText(text, "openai").responseId;
  assert.equal(id(body({ id: "resp_1", object: "response", store: true })), "resp_1");
  assert.equal(id(body({ id: "resp_2", object: "response" })), "resp_2");
  assert.equal(id(body({ id: "resp_3", object: "response.compaction" })), "resp_3");
  assert.equal(id(body({ id: "resp_4", object: "response", store: false })), undefined);
  assert.equal(id(body({ id: "chatcmpl-1", object: "chat.completion" })), undefined);
  assert.equal(id(body({ id: "resp_5" })), undefined);

  const head = '{"id": "resp_big", "object": "response", "created_at": 1, "output": [';
  assert.equal(usageFromJsonEnds(head, '"x"]}', "openai").responseId, "resp_big");
  assert.equal(
    usageFromJsonEnds('{"id":"chatcmpl-1","object":"chat.completion"', "}", "openai").responseId,
    undefined,
  );
});

Deno.test("a stream's response id is reported once, however the stream is cut", () => {
  const text = sseText(responsesStream(["a", "b"])).replaceAll("\n", "\r\n");
  for (let cut = 0; cut <= text.length; cut++) {
    const heard: string[] = [];
    const scanner = new SseUsageScanner("openai", (id) => heard.push(id));
    scanner.push(text.slice(0, cut));
    scanner.push(text.slice(cut));
    scanner.end();
    assert.deepEqual(heard, ["r1"], `cut at ${cut}`);
    assert.equal(scanner.report().responseId, "r1");
  }
});

Deno.test("a store: false stream reports no id", () => {
  const events = responsesStream(["a"]).map(([name, data]) => {
    const event = structuredClone(data) as { response?: Record<string, unknown> };
    if (event.response) event.response.store = false;
    return [name, event] as [string | null, unknown];
  });
  const heard: string[] = [];
  const scanner = new SseUsageScanner("openai", (id) => heard.push(id));
  scanner.push(sseText(events));
  scanner.end();
  assert.deepEqual(heard, []);
  assert.equal(scanner.report().responseId, undefined);
});

/** An Anthropic stream with signed thinking, a redacted block and text, as Claude streams it. */
function signedThinkingStream(): string {
  const events = anthropicStream(["Hi"]);
  const thinking: [string, unknown][] = [
    ["content_block_start", {
      type: "content_block_start",
      index: 1,
      content_block: { type: "thinking", thinking: "", signature: "" },
    }],
    ["content_block_delta", {
      type: "content_block_delta",
      index: 1,
      delta: { type: "thinking_delta", thinking: "let me see" },
    }],
    ["content_block_delta", {
      type: "content_block_delta",
      index: 1,
      delta: { type: "signature_delta", signature: "EqQBCgIYAhIM+sig/1" },
    }],
    ["content_block_stop", { type: "content_block_stop", index: 1 }],
    ["content_block_start", {
      type: "content_block_start",
      index: 2,
      content_block: { type: "redacted_thinking", data: "ENC==" },
    }],
    ["content_block_stop", { type: "content_block_stop", index: 2 }],
  ];
  // After the text's deltas, before message_delta: the scanner has seen the model by then.
  return sseText([...events.slice(0, 4), ...thinking, ...events.slice(4)]);
}

Deno.test("a stream's signed thinking is heard once per block, however the stream is cut", () => {
  const text = signedThinkingStream().replaceAll("\n", "\r\n");
  for (let cut = 0; cut <= text.length; cut++) {
    const heard: string[] = [];
    const scanner = new SseUsageScanner("anthropic", undefined, (mark) => heard.push(mark));
    scanner.push(text.slice(0, cut));
    scanner.push(text.slice(cut));
    scanner.end();
    assert.deepEqual(heard, ["EqQBCgIYAhIM+sig/1", "ENC=="], `cut at ${cut}`);
    assert.deepEqual(scanner.report().usage, { input: 30, output: 9, cached: 8, cacheWrite: 2 });
  }
  const silent = new SseUsageScanner("anthropic");
  silent.push(text);
  silent.end();
  assert.equal(silent.report().usage?.output, 9, "no listener: usage as before");
});

Deno.test("a JSON message's signed thinking", () => {
  const message = {
    id: "msg_1",
    type: "message",
    content: [
      { type: "thinking", thinking: "t", signature: "SIG" },
      { type: "redacted_thinking", data: "ENC" },
      { type: "thinking", thinking: "translated", signature: "" },
      { type: "text", text: "hi" },
    ],
    usage: { input_tokens: 1, output_tokens: 2 },
  };
  assert.deepEqual(usageFromJsonText(JSON.stringify(message), "anthropic").signed, ["SIG", "ENC"]);
  assert.equal(usageFromJsonText(JSON.stringify(message), "openai").signed, undefined);
  const plain = { ...message, content: [{ type: "text", text: "hi" }] };
  assert.equal(usageFromJsonText(JSON.stringify(plain), "anthropic").signed, undefined);
});
