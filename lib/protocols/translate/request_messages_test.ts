import assert from "node:assert/strict";
import { ok } from "../testdata/results.ts";
import { translateRequest } from "./translate.ts";

/** An Anthropic conversation: cached system prompt, thinking, a document, tool use with an error result. */
const MESSAGES_REQUEST = {
  model: "claude-sonnet-4-5",
  max_tokens: 4000,
  system: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }],
  messages: [
    {
      role: "user",
      content: [
        {
          type: "document",
          source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" },
        },
        { type: "text", text: "Check the total with the tool." },
      ],
    },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Need the calculator.", signature: "EqQBCgIYAhIM" },
        { type: "tool_use", id: "toolu_01", name: "calc", input: { expr: "2+2" } },
      ],
    },
    {
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: "toolu_01",
        content: "overflow",
        is_error: true,
      }],
    },
  ],
  tools: [
    { name: "calc", description: "Calculator", input_schema: { type: "object" } },
    { type: "web_search_20250305", name: "web_search" },
  ],
  tool_choice: { type: "any" },
  thinking: { type: "enabled", budget_tokens: 2000 },
  top_k: 5,
  stop_sequences: ["\n\nHuman:"],
  metadata: { user_id: "user-9" },
  stream: true,
};

Deno.test("request messages → chat: system, document, tool use, error result, thinking budget", () => {
  const { body, dropped } = ok(translateRequest("messages", "chat", MESSAGES_REQUEST));
  assert.deepEqual(body.messages, [
    { role: "system", content: "You are terse." },
    {
      role: "user",
      content: [
        {
          type: "file",
          file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "document.pdf" },
        },
        { type: "text", text: "Check the total with the tool." },
      ],
    },
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "toolu_01",
        type: "function",
        function: { name: "calc", arguments: '{"expr":"2+2"}' },
      }],
    },
    { role: "tool", tool_call_id: "toolu_01", content: "overflow" },
  ]);
  assert.deepEqual(body.tool_choice, "required");
  assert.equal(body.reasoning_effort, "low");
  assert.equal(body.max_completion_tokens, 4000);
  assert.deepEqual(body.stop, ["\n\nHuman:"]);
  assert.equal(body.user, "user-9");
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.deepEqual(dropped.sort(), [
    "cache_control",
    "messages[1].content[0]",
    "messages[2].content[0].is_error",
    "tools[1]",
    "top_k",
  ]);
});

Deno.test("request messages → responses: thinking asks for a reasoning summary; document and error flag", () => {
  const { body, dropped } = ok(translateRequest("messages", "responses", MESSAGES_REQUEST));
  assert.deepEqual(body.reasoning, { effort: "low", summary: "auto" });
  assert.equal(body.instructions, "You are terse.");
  const input = body.input as Record<string, unknown>[];
  assert.deepEqual(input[0].content, [
    {
      type: "input_file",
      file_data: "data:application/pdf;base64,JVBERi0=",
      filename: "document.pdf",
    },
    { type: "input_text", text: "Check the total with the tool." },
  ]);
  assert.deepEqual(input.slice(1), [
    { type: "function_call", call_id: "toolu_01", name: "calc", arguments: '{"expr":"2+2"}' },
    { type: "function_call_output", call_id: "toolu_01", output: "overflow" },
  ]);
  assert.ok(dropped.includes("stop") && dropped.includes("messages[1].content[0]"));
});
