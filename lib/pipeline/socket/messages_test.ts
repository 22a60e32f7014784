import assert from "node:assert/strict";
import { errorEvent, invalidMessageEvent, readClientMessage, warmupEvents } from "./messages.ts";

Deno.test("readClientMessage: response.create becomes a streaming HTTP body", () => {
  const cases: [string, ReturnType<typeof readClientMessage>][] = [
    [
      '{"type":"response.create","model":"m","input":[],"stream":false}',
      { kind: "create", body: { model: "m", input: [], stream: true }, warmup: false },
    ],
    [
      '{"type":"response.create","model":"m","generate":false,"client_metadata":{"a":"b"}}',
      {
        kind: "create",
        body: { model: "m", client_metadata: { a: "b" }, stream: true },
        warmup: true,
      },
    ],
    ['{"type":"response.processed","response_id":"resp_1"}', { kind: "ignored" }],
    ["{nope", { kind: "invalid", message: "the message is not valid JSON" }],
    ["[1]", { kind: "invalid", message: "the message must be a JSON object" }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(readClientMessage(text), expected, text);
  const unknown = readClientMessage('{"type":"session.update"}');
  assert.equal(unknown.kind, "invalid");
  assert.match(
    unknown.kind === "invalid" ? unknown.message : "",
    /"session.update".*response\.create/,
  );
});

Deno.test("errorEvent: the status Codex reads as the HTTP error, the OpenAI error inside", () => {
  const openai = { error: { message: "slow down", type: "rate_limit_error", code: null } };
  assert.deepEqual(JSON.parse(errorEvent(429, openai, { "retry-after": "7" })), {
    type: "error",
    status: 429,
    error: openai.error,
    headers: { "retry-after": "7" },
  });
  const detail = JSON.parse(errorEvent(400, { detail: "Store must be set to false" }));
  assert.equal(detail.status, 400);
  assert.equal(detail.error.message, "Store must be set to false");
  assert.equal(detail.headers, undefined);
  const text = JSON.parse(errorEvent(502, "bad gateway"));
  assert.equal(text.error.message, "bad gateway");
  assert.equal(JSON.parse(invalidMessageEvent("why")).error.message, "why");
});

Deno.test("warmupEvents: created then completed, empty, with the given id", () => {
  const events = warmupEvents("resp_w", { model: "gpt-5" }, 1700000000).map((e) => JSON.parse(e));
  assert.deepEqual(events.map((e) => e.type), ["response.created", "response.completed"]);
  assert.ok(events.every((e) => e.response.id === "resp_w" && e.response.output.length === 0));
  assert.equal(events[1].response.status, "completed");
  assert.equal(events[0].response.model, "gpt-5");
});
