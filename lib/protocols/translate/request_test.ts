import assert from "node:assert/strict";
import type { Api } from "./ir.ts";
import { type RequestTranslation, translateRequest } from "./translate.ts";

const PNG = "iVBORw0KGgo=";

function ok(result: RequestTranslation): { body: Record<string, unknown>; dropped: string[] } {
  if (!result.ok) throw new Error(`refused: ${result.error.field}: ${result.error.message}`);
  return {
    body: result.body as Record<string, unknown>,
    dropped: result.dropped.map((entry) => entry.field),
  };
}

function refused(result: RequestTranslation): string {
  if (result.ok) throw new Error("expected a refusal");
  return result.error.field;
}

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

const REFUSALS: { name: string; from: Api; to: Api; body: unknown; field: string }[] = [
  {
    name: "audio input to Messages",
    from: "chat",
    to: "messages",
    body: {
      model: "m",
      messages: [{
        role: "user",
        content: [{ type: "input_audio", input_audio: { data: "AAA", format: "wav" } }],
      }],
    },
    field: "messages[0].content[0]",
  },
  {
    name: "audio input to Responses",
    from: "chat",
    to: "responses",
    body: {
      model: "m",
      messages: [{ role: "user", content: [{ type: "input_audio", input_audio: {} }] }],
    },
    field: "messages[0].content[0]",
  },
  {
    name: "several choices",
    from: "chat",
    to: "messages",
    body: { model: "m", n: 2, messages: [] },
    field: "n",
  },
  {
    name: "audio output",
    from: "chat",
    to: "responses",
    body: { model: "m", modalities: ["text", "audio"], messages: [] },
    field: "modalities",
  },
  {
    name: "a stored previous response",
    from: "responses",
    to: "messages",
    body: { model: "m", previous_response_id: "resp_1", input: "go on" },
    field: "previous_response_id",
  },
  {
    name: "an item reference",
    from: "responses",
    to: "chat",
    body: { model: "m", input: [{ type: "item_reference", id: "msg_1" }] },
    field: "input[0]",
  },
  {
    name: "an OpenAI file id to Anthropic",
    from: "chat",
    to: "messages",
    body: {
      model: "m",
      messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }],
    },
    field: "messages[0].content[0]",
  },
  {
    name: "an Anthropic file image to Chat",
    from: "messages",
    to: "chat",
    body: {
      model: "m",
      max_tokens: 5,
      messages: [{
        role: "user",
        content: [{ type: "image", source: { type: "file", file_id: "file_1" } }],
      }],
    },
    field: "messages[0].content[0]",
  },
  {
    name: "a document URL to Chat",
    from: "messages",
    to: "chat",
    body: {
      model: "m",
      max_tokens: 5,
      messages: [{
        role: "user",
        content: [{ type: "document", source: { type: "url", url: "https://x/y.pdf" } }],
      }],
    },
    field: "messages[0].content[0]",
  },
  { name: "no messages", from: "chat", to: "messages", body: { model: "m" }, field: "messages" },
];

for (const { name, from, to, body, field } of REFUSALS) {
  Deno.test(`request ${from} → ${to}: ${name} gets a 400 naming ${field}`, () => {
    assert.equal(refused(translateRequest(from, to, body)), field);
  });
}

Deno.test("request: the same API on both sides passes the body untouched", () => {
  const body = {
    model: "m",
    input: [{ type: "item_reference", id: "x" }],
    previous_response_id: "resp_1",
    stream: true,
  };
  const result = translateRequest("responses", "responses", body);
  assert.ok(result.ok && result.body === body && result.dropped.length === 0 && result.stream);
});

Deno.test("request → messages: reasoning effort becomes thinking, which drops sampling changes", () => {
  const { body, dropped } = ok(translateRequest("chat", "messages", {
    model: "m",
    messages: [{ role: "user", content: "x" }],
    reasoning_effort: "medium",
    max_completion_tokens: 20000,
    temperature: 0.5,
    top_p: 0.9,
  }));
  assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 8192 });
  assert.equal(body.temperature, undefined);
  assert.deepEqual(dropped, ["temperature", "top_p"]);
  const both = ok(translateRequest("chat", "messages", {
    model: "m",
    messages: [{ role: "user", content: "x" }],
    temperature: 0.5,
    top_p: 0.9,
  }));
  assert.deepEqual([both.body.temperature, both.body.top_p, both.dropped], [0.5, undefined, [
    "top_p",
  ]]);
});

Deno.test("request → OpenAI: long call ids are cut alike on call and result, a long user is dropped", () => {
  const long = `toolu_${"x".repeat(100)}`;
  const body = {
    model: "m",
    max_tokens: 10,
    metadata: { user_id: `user_${"a".repeat(64)}_account__session_1234` },
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: [{ type: "tool_use", id: long, name: "f", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: long, content: "done" }] },
    ],
  };
  for (const to of ["chat", "responses"] as const) {
    const { body: out, dropped } = ok(translateRequest("messages", to, body));
    const ids = JSON.stringify(out).match(/toolu_x+_[0-9a-f]{8}/g) ?? [];
    assert.equal(ids.length, 2, to);
    assert.equal(ids[0], ids[1]);
    assert.equal(ids[0].length, 64);
    assert.equal(out.user, undefined);
    assert.ok(dropped.includes("user"));
  }
});
