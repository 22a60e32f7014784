import assert from "node:assert/strict";
import { ok } from "../testdata/results.ts";
import { translateRequest } from "./translate.ts";

const RESPONSES_REQUEST = {
  model: "gpt-5",
  instructions: "Answer in French.",
  input: [
    { role: "developer", content: "Use metric units." },
    {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "Look:" },
        { type: "input_image", image_url: "https://example.com/a.png", detail: "low" },
        { type: "input_file", file_url: "https://example.com/r.pdf" },
      ],
    },
    {
      type: "reasoning",
      id: "rs_1",
      summary: [{ type: "summary_text", text: "Plan." }],
      encrypted_content: "gAAA",
    },
    {
      type: "function_call",
      id: "fc_1",
      call_id: "call|1",
      name: "lookup",
      arguments: '{"q":"a"}',
    },
    { type: "function_call_output", call_id: "call|1", output: "found" },
    { type: "web_search_call", id: "ws_1", status: "completed" },
  ],
  tools: [
    { type: "function", name: "lookup", parameters: { type: "object" }, strict: true },
    { type: "web_search" },
  ],
  text: {
    format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true },
    verbosity: "low",
  },
  reasoning: { effort: "high" },
  max_output_tokens: 9000,
  store: true,
  truncation: "auto",
};

Deno.test("request responses → messages: developer text, URL image and document, safe tool ids, schema output", () => {
  const { body, dropped } = ok(translateRequest("responses", "messages", RESPONSES_REQUEST));
  assert.deepEqual(body.system, [{ type: "text", text: "Answer in French." }, {
    type: "text",
    text: "Use metric units.",
  }]);
  assert.deepEqual(body.messages, [
    {
      role: "user",
      content: [
        { type: "text", text: "Look:" },
        { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
        { type: "document", source: { type: "url", url: "https://example.com/r.pdf" } },
      ],
    },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "call_1", name: "lookup", input: { q: "a" } }],
    },
    {
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: "call_1",
        content: [{ type: "text", text: "found" }],
      }],
    },
  ]);
  assert.deepEqual(body.output_config, {
    format: { type: "json_schema", schema: { type: "object" } },
  });
  assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 8999 });
  assert.equal(body.max_tokens, 9000);
  assert.deepEqual(dropped.sort(), [
    "input[2]",
    "input[5]",
    "store",
    "text.verbosity",
    "tools[1]",
    "tools[].strict",
    "truncation",
  ]);
});

Deno.test("request responses → chat: instructions and developer messages keep their roles", () => {
  // Chat takes no document URL (that is a 400 of its own); leave the file out here.
  const input = structuredClone(RESPONSES_REQUEST.input);
  (input[1].content as unknown[]).pop();
  const { body } = ok(translateRequest("responses", "chat", { ...RESPONSES_REQUEST, input }));
  const messages = body.messages as Record<string, unknown>[];
  assert.deepEqual(messages.slice(0, 2), [
    { role: "system", content: "Answer in French." },
    { role: "developer", content: "Use metric units." },
  ]);
  assert.deepEqual(messages.slice(3), [
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "call|1",
        type: "function",
        function: { name: "lookup", arguments: '{"q":"a"}' },
      }],
    },
    { role: "tool", tool_call_id: "call|1", content: "found" },
  ]);
  assert.deepEqual(body.response_format, {
    type: "json_schema",
    json_schema: { name: "answer", schema: { type: "object" }, strict: true },
  });
  assert.equal(body.reasoning_effort, "high");
});

Deno.test("request: a string Responses input and a plain string Messages content", () => {
  const chat =
    ok(translateRequest("responses", "chat", { model: "m", input: "hi", max_output_tokens: 8 }))
      .body;
  assert.deepEqual(chat.messages, [{ role: "user", content: "hi" }]);
  const responses = ok(translateRequest("messages", "responses", {
    model: "m",
    max_tokens: 8,
    messages: [{ role: "user", content: "hi" }],
  }));
  assert.equal(responses.body.max_output_tokens, 16);
  assert.deepEqual(responses.dropped, ["max_tokens"]);
  const messages = ok(
    translateRequest("chat", "messages", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    }),
  );
  assert.equal(messages.body.max_tokens, 8192, "Anthropic requires max_tokens: a default is sent");
});
