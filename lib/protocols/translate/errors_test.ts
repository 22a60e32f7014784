import assert from "node:assert/strict";
import { TranslationError } from "./ir.ts";
import { decodeError, translateErrorBody, translationErrorBody } from "./errors.ts";
import type { Api } from "./ir.ts";

const CASES: { name: string; status: number; body: string; to: Api; want: unknown }[] = [
  {
    name: "Anthropic overload to a Chat client",
    status: 529,
    body: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    to: "chat",
    want: {
      error: { message: "Overloaded", type: "server_error", param: null, code: "overloaded" },
    },
  },
  {
    name: "Anthropic rate limit to a Responses client",
    status: 429,
    body: '{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}',
    to: "responses",
    want: {
      error: {
        message: "Slow down",
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      },
    },
  },
  {
    name: "OpenAI quota to a Messages client",
    status: 429,
    body:
      '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}',
    to: "messages",
    want: {
      type: "error",
      error: { type: "billing_error", message: "You exceeded your current quota" },
    },
  },
  {
    name: "OpenAI bad key to a Messages client",
    status: 401,
    body:
      '{"error":{"message":"Incorrect API key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}',
    to: "messages",
    want: { type: "error", error: { type: "authentication_error", message: "Incorrect API key" } },
  },
  {
    name: "an OpenAI invalid request keeps its param for a Responses client",
    status: 400,
    body:
      '{"error":{"message":"bad","type":"invalid_request_error","param":"tools[0]","code":null}}',
    to: "responses",
    want: {
      error: { message: "bad", type: "invalid_request_error", param: "tools[0]", code: null },
    },
  },
  {
    name: "the ChatGPT backend's detail body to a Messages client",
    status: 400,
    body: '{"detail":"Unsupported parameter: temperature"}',
    to: "messages",
    want: {
      type: "error",
      error: { type: "invalid_request_error", message: "Unsupported parameter: temperature" },
    },
  },
  {
    name: "plain text from a proxy to a Chat client",
    status: 502,
    body: "Bad Gateway",
    to: "chat",
    want: { error: { message: "Bad Gateway", type: "server_error", param: null, code: null } },
  },
  {
    name: "Anthropic not found to a Chat client",
    status: 404,
    body: '{"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}',
    to: "chat",
    want: {
      error: {
        message: "model: claude-x",
        type: "invalid_request_error",
        param: null,
        code: "not_found",
      },
    },
  },
];

for (const { name, status, body, to, want } of CASES) {
  Deno.test(`error: ${name}`, () => {
    assert.deepEqual(JSON.parse(translateErrorBody(to, status, body)), want);
  });
}

Deno.test("error: an empty body still says what happened", () => {
  assert.deepEqual(decodeError(503, ""), {
    kind: "overloaded",
    message: "upstream error (HTTP 503)",
  });
});

Deno.test("error: a translation refusal is a 400 in the client's shape naming the field", () => {
  const error = new TranslationError(
    "messages[0].content[1]",
    "audio input cannot be sent to an Anthropic upstream",
  );
  assert.equal(error.status, 400);
  assert.deepEqual(JSON.parse(translationErrorBody("chat", error)), {
    error: {
      message: "audio input cannot be sent to an Anthropic upstream",
      type: "invalid_request_error",
      param: "messages[0].content[1]",
      code: null,
    },
  });
  assert.deepEqual(
    JSON.parse(translationErrorBody("messages", error)).error.type,
    "invalid_request_error",
  );
});
