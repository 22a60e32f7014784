/**
 * The official SDKs (`openai`, `@anthropic-ai/sdk`) read what the
 * translators write: each translated stream goes through the SDK's own
 * stream accumulator (served by an in-process `fetch`, no socket), and
 * translated error bodies become the SDK's typed errors with the status kept.
 */

import assert from "node:assert/strict";
import { Anthropic, OpenAI } from "../../../tests/support/npm_packages.ts";
import { RESPONSES_STREAM } from "../testdata/responses_stream.ts";
import { CHAT_STREAM, MESSAGES_STREAM, sseText } from "../testdata/streams.ts";
import { translateErrorBody } from "./errors.ts";
import type { Api } from "./ir.ts";
import { StreamTranslator } from "./translate.ts";

const UPSTREAMS = { chat: CHAT_STREAM, messages: MESSAGES_STREAM, responses: RESPONSES_STREAM };

function translated(from: Api, to: Api): string {
  const translator = new StreamTranslator(from, to, { includeUsage: true, now: 1700000001 });
  return translator.push(sseText(UPSTREAMS[from])) + translator.finish();
}

function serve(body: string, status = 200, type = "text/event-stream"): typeof fetch {
  return () => Promise.resolve(new Response(body, { status, headers: { "content-type": type } }));
}

function anthropic(fetch: typeof globalThis.fetch): Anthropic {
  return new Anthropic({ apiKey: "k", baseURL: "http://127.0.0.1:9", maxRetries: 0, fetch });
}

function openai(fetch: typeof globalThis.fetch): OpenAI {
  return new OpenAI({ apiKey: "k", baseURL: "http://127.0.0.1:9/v1", maxRetries: 0, fetch });
}

const ASK = { model: "m", max_tokens: 100, messages: [{ role: "user" as const, content: "hi" }] };

for (const from of ["chat", "responses"] as const) {
  Deno.test(`sdk: Anthropic's MessageStream folds a stream translated from ${from}`, async () => {
    const message = await anthropic(serve(translated(from, "messages"))).messages.stream(ASK)
      .finalMessage();
    assert.deepEqual(message.content.map((block) => block.type), [
      "thinking",
      "text",
      "tool_use",
      "tool_use",
    ]);
    const calls = message.content.flatMap((block) =>
      block.type === "tool_use" ? [block.input] : []
    );
    assert.deepEqual(calls, [{ city: "Paris" }, { city: "Oslo" }]);
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.usage.output_tokens, 20);
  });
}

for (const from of ["chat", "messages"] as const) {
  Deno.test(`sdk: OpenAI's ResponseStream folds a stream translated from ${from}`, async () => {
    const stream = openai(serve(translated(from, "responses"))).responses.stream({
      model: "m",
      input: "hi",
    });
    const response = await stream.finalResponse();
    assert.equal(response.output_text, "Checking both cities.");
    const calls = response.output.flatMap((item) =>
      item.type === "function_call" ? [[item.call_id, item.arguments]] : []
    );
    assert.equal(calls.length, 2);
    assert.equal(calls[1][1], '{"city":"Oslo"}');
    assert.equal(response.usage?.input_tokens, 100);
  });
}

for (const from of ["messages", "responses"] as const) {
  Deno.test(`sdk: OpenAI's ChatCompletionStream folds a stream translated from ${from}`, async () => {
    const stream = openai(serve(translated(from, "chat"))).chat.completions.stream({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0].message;
    assert.equal(message.content, "Checking both cities.");
    assert.deepEqual(
      message.tool_calls?.map((call) => call.type === "function" ? call.function.arguments : ""),
      ['{"city":"Paris"}', '{"city":"Oslo"}'],
    );
    assert.equal(completion.choices[0].finish_reason, "tool_calls");
    assert.equal(completion.usage?.prompt_tokens, 100);
  });
}

Deno.test("sdk: a translated upstream error is the SDK's typed error with the status kept", async () => {
  const overloaded = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
  const chat = openai(serve(translateErrorBody("chat", 529, overloaded), 529, "application/json"));
  await assert.rejects(chat.chat.completions.create({ model: "m", messages: [] }), (error) => {
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 529);
    assert.equal(error.message, "529 Overloaded");
    return true;
  });
  const quota =
    '{"error":{"message":"Quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}';
  const claude = anthropic(
    serve(translateErrorBody("messages", 429, quota), 429, "application/json"),
  );
  await assert.rejects(claude.messages.create(ASK), (error) => {
    assert.ok(error instanceof Anthropic.RateLimitError);
    assert.deepEqual((error.error as { error: unknown }).error, {
      type: "billing_error",
      message: "Quota",
    });
    return true;
  });
});

Deno.test("sdk: an error event mid-stream fails the SDK's stream", async () => {
  const cut = MESSAGES_STREAM.slice(0, 9);
  const error = {
    event: "error",
    data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
  };
  for (const to of ["chat", "responses"] as const) {
    const translator = new StreamTranslator("messages", to, { now: 1 });
    const body = translator.push(sseText([...cut, error])) + translator.finish();
    const client = openai(serve(body));
    const stream = to === "chat"
      ? client.chat.completions.stream({ model: "m", messages: [] }).finalChatCompletion()
      : client.responses.stream({ model: "m", input: "hi" }).finalResponse();
    await assert.rejects(stream, /Overloaded/, to);
  }
});
