/** Table tests for the local input-token estimate of `count_tokens` (`count_tokens.ts`). */

import assert from "node:assert/strict";
import { estimateInputTokens } from "./count_tokens.ts";

const user = (content: unknown) => ({ role: "user", content });

const ROWS: [string, unknown, number | undefined][] = [
  ["not an object", "hi", undefined],
  ["no messages", { model: "m" }, undefined],
  ["messages not an array", { messages: "hi" }, undefined],
  // 3 base + 4 for the message + ceil(2 / 4).
  ["one short message", { messages: [user("hi")] }, 8],
  ["text blocks count like a string", { messages: [user([{ type: "text", text: "hi" }])] }, 8],
  // 3 + ceil(12 / 4).
  ["no messages yet, a system prompt", { system: "twelve chars", messages: [] }, 6],
  ["system as blocks", { system: [{ type: "text", text: "twelve chars" }], messages: [] }, 6],
  ["400 characters are 100 tokens", { messages: [user("abcd".repeat(100))] }, 107],
  ["an image is a flat 1,600", {
    messages: [user([{ type: "image", source: { type: "base64", data: "A".repeat(99_999) } }])],
  }, 1_607],
  ["redacted thinking is not read", {
    messages: [{
      role: "assistant",
      content: [{ type: "redacted_thinking", data: "x".repeat(800) }],
    }],
  }, 7],
  // name (4) + {"city":"Oslo"} (15) = 19 characters: 5 tokens.
  ["a tool call and its result", {
    messages: [
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "t", name: "wthr", input: { city: "Oslo" } }],
      },
      user([{ type: "tool_result", tool_use_id: "t", content: "sunny" }]),
    ],
  }, 3 + 8 + Math.ceil((19 + 5) / 4)],
  // 8 per tool; name + description + schema JSON ({"type":"object"} is 17).
  ["tool definitions", {
    messages: [],
    tools: [{ name: "Read", description: "Reads", input_schema: { type: "object" } }],
  }, 3 + 8 + Math.ceil((4 + 5 + 17) / 4)],
];

for (const [name, body, expected] of ROWS) {
  Deno.test(`count_tokens estimate: ${name}`, () => {
    assert.equal(estimateInputTokens(body), expected);
  });
}

Deno.test("count_tokens estimate: grows with the text", () => {
  const short = estimateInputTokens({ messages: [user("word ".repeat(10))] })!;
  const long = estimateInputTokens({ messages: [user("word ".repeat(1000))] })!;
  assert.ok(long > short * 50);
});
