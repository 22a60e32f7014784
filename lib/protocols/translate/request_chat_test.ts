import assert from "node:assert/strict";
import { ok } from "../testdata/results.ts";
import { translateRequest } from "./translate.ts";

const PNG = "iVBORw0KGgo=";

/** A Chat conversation: system prompt, an image, two tool calls in one turn and their results. */
const CHAT_REQUEST = {
  model: "m",
  messages: [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [
        { type: "text", text: "Weather where these are?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}`, detail: "high" } },
        { type: "image_url", image_url: { url: "https://example.com/oslo.jpg" } },
      ],
    },
    {
      role: "assistant",
      content: null,
      tool_calls: [
        {
          id: "call_A",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris"}' },
        },
        {
          id: "call_B",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
        },
      ],
    },
    { role: "tool", tool_call_id: "call_A", content: "18C" },
    { role: "tool", tool_call_id: "call_B", content: "9C" },
    { role: "user", content: "Summarise." },
  ],
  tools: [{
    type: "function",
    function: {
      name: "get_weather",
      description: "Weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    },
  }],
  tool_choice: { type: "function", function: { name: "get_weather" } },
  parallel_tool_calls: false,
  max_completion_tokens: 500,
  temperature: 0.2,
  stop: "END",
  user: "u-1",
  seed: 7,
  logit_bias: { "50256": -100 },
  stream: true,
  stream_options: { include_usage: true },
};

Deno.test("request chat → messages: system, images, tool calls and results, sampling, stop, user", () => {
  const result = translateRequest("chat", "messages", CHAT_REQUEST);
  const { body, dropped } = ok(result);
  assert.deepEqual(body.system, [{ type: "text", text: "Be brief." }]);
  assert.deepEqual(body.messages, [
    {
      role: "user",
      content: [
        { type: "text", text: "Weather where these are?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
        { type: "image", source: { type: "url", url: "https://example.com/oslo.jpg" } },
      ],
    },
    {
      role: "assistant",
      content: [
        { type: "tool_use", id: "call_A", name: "get_weather", input: { city: "Paris" } },
        { type: "tool_use", id: "call_B", name: "get_weather", input: { city: "Oslo" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "call_A", content: [{ type: "text", text: "18C" }] },
        { type: "tool_result", tool_use_id: "call_B", content: [{ type: "text", text: "9C" }] },
        { type: "text", text: "Summarise." },
      ],
    },
  ]);
  assert.deepEqual(body.tools, [{
    name: "get_weather",
    description: "Weather",
    input_schema: { type: "object", properties: { city: { type: "string" } } },
  }]);
  assert.deepEqual(body.tool_choice, {
    type: "tool",
    name: "get_weather",
    disable_parallel_tool_use: true,
  });
  assert.equal(body.max_tokens, 500);
  assert.equal(body.temperature, 0.2);
  assert.deepEqual(body.stop_sequences, ["END"]);
  assert.deepEqual(body.metadata, { user_id: "u-1" });
  assert.equal(body.stream, true);
  assert.deepEqual(dropped, ["seed", "logit_bias"]);
  assert.ok(result.ok && result.includeUsage && result.stream);
});

Deno.test("request chat → responses: instructions, items, strict false, store false", () => {
  const { body, dropped } = ok(translateRequest("chat", "responses", CHAT_REQUEST));
  assert.equal(body.instructions, "Be brief.");
  assert.deepEqual(body.input, [
    {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "Weather where these are?" },
        { type: "input_image", image_url: `data:image/png;base64,${PNG}`, detail: "high" },
        { type: "input_image", image_url: "https://example.com/oslo.jpg", detail: "auto" },
      ],
    },
    {
      type: "function_call",
      call_id: "call_A",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
    },
    { type: "function_call", call_id: "call_B", name: "get_weather", arguments: '{"city":"Oslo"}' },
    { type: "function_call_output", call_id: "call_A", output: "18C" },
    { type: "function_call_output", call_id: "call_B", output: "9C" },
    { type: "message", role: "user", content: [{ type: "input_text", text: "Summarise." }] },
  ]);
  assert.deepEqual(body.tools, [{
    type: "function",
    name: "get_weather",
    description: "Weather",
    parameters: { type: "object", properties: { city: { type: "string" } } },
    strict: false,
  }]);
  assert.deepEqual(body.tool_choice, { type: "function", name: "get_weather" });
  assert.equal(body.parallel_tool_calls, false);
  assert.equal(body.max_output_tokens, 500);
  assert.equal(body.store, false);
  assert.equal(body.stream, true);
  assert.deepEqual(dropped, ["seed", "logit_bias", "stop"]);
});
