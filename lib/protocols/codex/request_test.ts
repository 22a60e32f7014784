import assert from "node:assert/strict";
import { codexRequest, DEFAULT_CODEX_INSTRUCTIONS } from "./request.ts";

Deno.test("codex: a generic Responses request becomes one the ChatGPT backend takes", () => {
  const result = codexRequest({
    model: "gpt-5.4",
    input: [
      { role: "system", content: "Be terse." },
      { type: "message", id: "msg_1", role: "user", content: [{ type: "input_text", text: "hi" }] },
      { type: "item_reference", id: "msg_0" },
      { type: "reasoning", id: "rs_1", summary: [] },
      { type: "reasoning", id: "rs_2", summary: [], encrypted_content: "gAAA" },
    ],
    instructions: "Answer in French.",
    max_output_tokens: 100,
    temperature: 0.3,
    top_p: 0.9,
    truncation: "auto",
    metadata: { a: "b" },
    user: "u",
    store: true,
    text: { format: { type: "json_schema", name: "x", schema: { type: "object" } } },
  });
  assert.ok(result.ok);
  assert.deepEqual(result.body, {
    model: "gpt-5.4",
    input: [
      { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
      { type: "reasoning", summary: [], encrypted_content: "gAAA" },
    ],
    instructions: "Be terse.\n\nAnswer in French.",
    store: false,
    stream: true,
    text: { format: { type: "json_schema", name: "x", schema: { type: "object" } } },
  });
  assert.deepEqual(result.dropped.map((entry) => entry.field), [
    "max_output_tokens",
    "temperature",
    "top_p",
    "truncation",
    "metadata",
    "user",
    "store",
    "input[].id",
    "input[2]",
    "input[3]",
  ]);
  assert.equal(result.stream, false, "the client wanted JSON: aggregate the stream");
});

Deno.test("codex: string input becomes a list, missing instructions get a default", () => {
  const result = codexRequest({ model: "gpt-5.4", input: "hello", stream: true });
  assert.ok(result.ok);
  assert.deepEqual(result.body.input, [{
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "hello" }],
  }]);
  assert.equal(result.body.instructions, DEFAULT_CODEX_INSTRUCTIONS);
  assert.equal(result.stream, true);
  assert.deepEqual(result.dropped, []);
});

Deno.test("codex: a request from Codex CLI passes unchanged", () => {
  const body = {
    model: "gpt-5.3-codex",
    instructions: "You are Codex.",
    input: [
      {
        type: "message",
        role: "developer",
        content: [{ type: "input_text", text: "sandbox: workspace-write" }],
      },
      { type: "message", role: "user", content: [{ type: "input_text", text: "fix it" }] },
      { type: "reasoning", summary: [], encrypted_content: "gAAA" },
      { type: "function_call", call_id: "call_1", name: "shell", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "ok" },
    ],
    tools: [{ type: "function", name: "shell", parameters: { type: "object" }, strict: false }],
    tool_choice: "auto",
    parallel_tool_calls: true,
    reasoning: { effort: "medium", summary: "auto" },
    store: false,
    stream: true,
    include: ["reasoning.encrypted_content"],
    prompt_cache_key: "thread-1",
    client_metadata: { a: "b" },
  };
  const result = codexRequest(body);
  assert.ok(result.ok);
  assert.deepEqual(result.body, body);
  assert.deepEqual(result.dropped, []);
});

Deno.test("codex: previous_response_id cannot be continued on an account that stores nothing", () => {
  const result = codexRequest({ model: "gpt-5.4", input: "go on", previous_response_id: "resp_1" });
  assert.ok(
    !result.ok && result.error.field === "previous_response_id" && result.error.status === 400,
  );
});
