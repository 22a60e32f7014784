import assert from "node:assert/strict";
import type { Api } from "./ir.ts";
import { translateResponse } from "./translate.ts";

/** One answer (reasoning, text, two tool calls, 100 prompt tokens of which 30 cached, 20 out) per API. */
const RESPONSES: Record<Api, unknown> = {
  chat: {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1700000000,
    model: "gpt-4.1",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: "Checking both cities.",
        reasoning_content: "Weather needs two lookups.",
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
      finish_reason: "tool_calls",
    }],
    usage: {
      prompt_tokens: 100,
      completion_tokens: 20,
      total_tokens: 120,
      prompt_tokens_details: { cached_tokens: 30 },
      completion_tokens_details: { reasoning_tokens: 5 },
    },
  },
  messages: {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [
      { type: "thinking", thinking: "Weather needs two lookups.", signature: "EqQBCgIYAhIM" },
      { type: "text", text: "Checking both cities." },
      { type: "tool_use", id: "call_A", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_B", name: "get_weather", input: { city: "Oslo" } },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: {
      input_tokens: 70,
      cache_read_input_tokens: 30,
      cache_creation_input_tokens: 0,
      output_tokens: 20,
    },
  },
  responses: {
    id: "resp_7",
    object: "response",
    created_at: 1700000000,
    status: "completed",
    model: "gpt-5",
    output: [
      {
        type: "reasoning",
        id: "rs_1",
        summary: [{ type: "summary_text", text: "Weather needs two lookups." }],
      },
      {
        type: "message",
        id: "msg_1",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Checking both cities.", annotations: [] }],
      },
      {
        type: "function_call",
        id: "fc_A",
        call_id: "call_A",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
      },
      {
        type: "function_call",
        id: "fc_B",
        call_id: "call_B",
        name: "get_weather",
        arguments: '{"city":"Oslo"}',
      },
    ],
    usage: {
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 30 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 5 },
      total_tokens: 120,
    },
  },
};

/** What a client of each API reads from its response: text, reasoning, calls, stop, usage. */
function read(api: Api, body: unknown): unknown[] {
  const json = JSON.parse(JSON.stringify(body));
  if (api === "chat") {
    const message = json.choices[0].message;
    const calls = message.tool_calls.map((
      call: { id: string; function: { arguments: string } },
    ) => [
      call.id,
      call.function.arguments,
    ]);
    return [
      message.content,
      calls,
      json.choices[0].finish_reason,
      json.usage.prompt_tokens,
      json.usage.completion_tokens,
    ];
  }
  if (api === "messages") {
    const content = json.content as {
      type: string;
      text?: string;
      thinking?: string;
      id?: string;
      input?: unknown;
    }[];
    const text = content.filter((block) => block.type === "text").map((block) => block.text).join(
      "",
    );
    const calls = content.filter((block) => block.type === "tool_use").map((
      block,
    ) => [block.id, JSON.stringify(block.input)]);
    return [
      text,
      calls,
      json.stop_reason,
      json.usage.input_tokens + json.usage.cache_read_input_tokens,
      json.usage.output_tokens,
    ];
  }
  const output = json.output as {
    type: string;
    content?: { text: string }[];
    call_id?: string;
    arguments?: string;
  }[];
  const text = output.filter((item) => item.type === "message").map((item) =>
    item.content?.[0].text
  ).join("");
  const calls = output.filter((item) => item.type === "function_call").map((
    item,
  ) => [item.call_id, item.arguments]);
  return [text, calls, json.status, json.usage.input_tokens, json.usage.output_tokens];
}

const STOP: Record<Api, string> = {
  chat: "tool_calls",
  messages: "tool_use",
  responses: "completed",
};

for (const from of ["chat", "messages", "responses"] as const) {
  for (const to of ["chat", "messages", "responses"] as const) {
    if (from === to) continue;
    Deno.test(`response ${from} → ${to}: text, both tool calls with their ids, stop, usage`, () => {
      const out = translateResponse(from, to, RESPONSES[from], 1700000001);
      assert.deepEqual(read(to, out), [
        "Checking both cities.",
        [["call_A", '{"city":"Paris"}'], ["call_B", '{"city":"Oslo"}']],
        STOP[to],
        100,
        20,
      ]);
    });
  }
}

Deno.test("response: usage fields in each client's shape", () => {
  const chat = translateResponse("messages", "chat", RESPONSES.messages, 1) as { usage: unknown };
  assert.deepEqual(chat.usage, {
    prompt_tokens: 100,
    completion_tokens: 20,
    total_tokens: 120,
    prompt_tokens_details: { cached_tokens: 30 },
    completion_tokens_details: { reasoning_tokens: 0 },
  });
  const messages = translateResponse("responses", "messages", RESPONSES.responses, 1) as {
    usage: unknown;
  };
  assert.deepEqual(messages.usage, {
    input_tokens: 70,
    output_tokens: 20,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 30,
  });
  const responses = translateResponse("chat", "responses", RESPONSES.chat, 1) as { usage: unknown };
  assert.deepEqual(responses.usage, {
    input_tokens: 100,
    input_tokens_details: { cached_tokens: 30 },
    output_tokens: 20,
    output_tokens_details: { reasoning_tokens: 5 },
    total_tokens: 120,
  });
});

Deno.test("response → messages: reasoning from OpenAI arrives as a thinking block with no signature", () => {
  const out = translateResponse("responses", "messages", RESPONSES.responses, 1) as {
    content: unknown[];
  };
  assert.deepEqual(out.content[0], {
    type: "thinking",
    thinking: "Weather needs two lookups.",
    signature: "",
  });
});

const STOPS: { from: Api; body: unknown; to: Record<Api, string> }[] = [
  {
    from: "messages",
    body: { content: [{ type: "text", text: "x" }], stop_reason: "max_tokens", usage: {} },
    to: { chat: "length", messages: "max_tokens", responses: "incomplete" },
  },
  {
    from: "messages",
    body: { content: [], stop_reason: "refusal", usage: {} },
    to: { chat: "content_filter", messages: "refusal", responses: "incomplete" },
  },
  {
    from: "chat",
    body: { choices: [{ message: { content: "x" }, finish_reason: "stop" }] },
    to: { chat: "stop", messages: "end_turn", responses: "completed" },
  },
  {
    from: "responses",
    body: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [] },
    to: { chat: "length", messages: "max_tokens", responses: "incomplete" },
  },
];

Deno.test("response: stop reasons map to each client's own", () => {
  for (const { from, body, to } of STOPS) {
    for (const target of ["chat", "messages", "responses"] as const) {
      if (target === from) continue;
      const json = JSON.parse(JSON.stringify(translateResponse(from, target, body, 1)));
      const got = target === "chat"
        ? json.choices[0].finish_reason
        : target === "messages"
        ? json.stop_reason
        : json.status;
      assert.equal(got, to[target], `${from} → ${target}`);
    }
  }
});
