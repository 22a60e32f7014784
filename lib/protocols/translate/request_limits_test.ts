import assert from "node:assert/strict";
import { ok, refused } from "../testdata/results.ts";
import type { Api } from "./ir.ts";
import { translateRequest } from "./translate.ts";

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

Deno.test("request: reasoning settings stay out for a target model that does not reason", () => {
  const body = {
    model: "m",
    max_tokens: 4000,
    thinking: { type: "enabled", budget_tokens: 2000 },
    messages: [{ role: "user", content: "x" }],
  };
  const { body: out, dropped } = ok(
    translateRequest("messages", "chat", body, { noReasoning: true }),
  );
  assert.equal(out.reasoning_effort, undefined);
  assert.deepEqual(dropped, ["reasoning"]);
  assert.equal(ok(translateRequest("messages", "chat", body)).body.reasoning_effort, "low");
});
