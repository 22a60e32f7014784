/**
 * The real `openai` and `@anthropic-ai/sdk` clients pointed at the gateway:
 * failover is invisible to them, streams parse, and the gateway's own errors
 * arrive as the SDKs' typed errors.
 */

import assert from "node:assert/strict";
import { Anthropic, OpenAI } from "./support/npm_packages.ts";
import { CLIENT_KEY, startGateway } from "./support/gateway.ts";
import {
  anthropicError,
  anthropicMessage,
  chatCompletion,
  json,
  openaiError,
  upstream,
  USAGE_LIMIT_403,
} from "./support/upstream.ts";
import { sseText } from "./support/streams.ts";

function openaiClient(url: string, apiKey = CLIENT_KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });
}

function anthropicClient(url: string, apiKey = CLIENT_KEY): Anthropic {
  return new Anthropic({ apiKey, baseURL: url, maxRetries: 0 });
}

function eventStream(events: [string | null, string][]): Response {
  return new Response(sseText(events), {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

const CHAT_CHUNKS: [string | null, string][] = [
  ...["Hel", "lo", "!"].map((word): [null, string] => [
    null,
    JSON.stringify({
      id: "chatcmpl-mock",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "gpt-test",
      choices: [{ index: 0, delta: { content: word }, finish_reason: null }],
    }),
  ]),
  [null, "[DONE]"],
];

const MESSAGE_EVENTS: [string, unknown][] = [
  ["message_start", {
    type: "message_start",
    message: {
      id: "msg_mock",
      type: "message",
      role: "assistant",
      model: "claude-test",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    },
  }],
  ["content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  }],
  ["content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: "Bon" },
  }],
  ["content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: "jour" },
  }],
  ["content_block_stop", { type: "content_block_stop", index: 0 }],
  ["message_delta", {
    type: "message_delta",
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: 2 },
  }],
  ["message_stop", { type: "message_stop" }],
];

Deno.test("openai SDK: chat.completions.create fails over invisibly", async () => {
  await using codex = upstream(() => json(403, USAGE_LIMIT_403));
  await using backup = upstream(() => json(200, chatCompletion("from the backup")));
  await using gw = await startGateway({
    accounts: [
      { id: "codex-1", upstream: codex, passthrough: true, priority: 1 },
      { id: "oa-1", upstream: backup, priority: 2 },
    ],
  });
  const completion = await openaiClient(gw.url).chat.completions.create({
    model: "gpt-test",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(completion.choices[0].message.content, "from the backup");
  assert.equal(codex.hits.length, 1);
  assert.equal(backup.hits.length, 1);
  assert.equal(backup.hits[0].path, "/v1/chat/completions");
  assert.equal(backup.hits[0].headers.get("authorization"), "Bearer sk-upstream-oa-1");
  assert.equal((await gw.account("codex-1")).state, "cooldown");
});

Deno.test("openai SDK: a streamed chat completion fails over invisibly", async () => {
  await using busy = upstream(() =>
    json(429, openaiError("slow down", "rate_limit_error"), { "retry-after": "30" })
  );
  await using streaming = upstream(() => eventStream(CHAT_CHUNKS));
  await using gw = await startGateway({
    accounts: [
      { id: "busy", upstream: busy, priority: 1 },
      { id: "streamer", upstream: streaming, passthrough: true, priority: 2 },
    ],
  });
  const stream = await openaiClient(gw.url).chat.completions.create({
    model: "gpt-test",
    messages: [{ role: "user", content: "hi" }],
    stream: true,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  assert.equal(text, "Hello!");
  assert.equal(busy.hits.length, 1);
  assert.equal(streaming.hits.length, 1);
});

Deno.test("openai SDK: the gateway's own errors arrive as typed SDK errors", async () => {
  await using busy = upstream(() => json(429, openaiError("busy"), { "retry-after": "120" }));
  await using gw = await startGateway({ accounts: [{ id: "busy", upstream: busy }] });
  const request = { model: "gpt-test", messages: [{ role: "user" as const, content: "hi" }] };

  await assert.rejects(
    openaiClient(gw.url, "sk-not-a-real-key").chat.completions.create(request),
    (error) => error instanceof OpenAI.AuthenticationError && error.status === 401,
  );
  // The upstream's own 429 first, then the gateway's "every account is cooling" 429.
  for (let i = 0; i < 2; i++) {
    await assert.rejects(
      openaiClient(gw.url).chat.completions.create(request),
      (error) => error instanceof OpenAI.RateLimitError && error.status === 429,
    );
  }
  assert.equal(busy.hits.length, 1);
});

Deno.test("anthropic SDK: messages.create fails over invisibly", async () => {
  await using overloaded = upstream(() =>
    json(529, anthropicError("Overloaded", "overloaded_error"))
  );
  await using healthy = upstream(() => json(200, anthropicMessage("from claude-2")));
  await using gw = await startGateway({
    accounts: [
      { id: "claude-1", upstream: overloaded, platform: "anthropic", priority: 1 },
      { id: "claude-2", upstream: healthy, platform: "anthropic", priority: 2 },
    ],
  });
  const message = await anthropicClient(gw.url).messages.create({
    model: "claude-test",
    max_tokens: 64,
    messages: [{ role: "user", content: "hi" }],
  });
  assert.deepEqual(message.content, [{ type: "text", text: "from claude-2" }]);
  assert.equal(overloaded.hits.length, 1);
  assert.equal(healthy.hits.length, 1);
  assert.equal(healthy.hits[0].path, "/v1/messages");
  assert.equal(healthy.hits[0].headers.get("x-api-key"), "sk-upstream-claude-2");
  assert.equal((await gw.account("claude-1")).reason, "overloaded");
});

Deno.test("anthropic SDK: a streamed message fails over invisibly", async () => {
  await using limited = upstream(() =>
    json(429, anthropicError("rate limited", "rate_limit_error"), { "retry-after": "60" })
  );
  await using streaming = upstream(() =>
    eventStream(MESSAGE_EVENTS.map(([event, data]) => [event, JSON.stringify(data)]))
  );
  await using gw = await startGateway({
    accounts: [
      { id: "claude-1", upstream: limited, platform: "anthropic", priority: 1 },
      { id: "claude-2", upstream: streaming, platform: "anthropic", priority: 2 },
    ],
  });
  const stream = await anthropicClient(gw.url).messages.create({
    model: "claude-test",
    max_tokens: 64,
    messages: [{ role: "user", content: "hi" }],
    stream: true,
  });
  let text = "";
  for await (const event of stream) {
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
      text += event.delta.text;
    }
  }
  assert.equal(text, "Bonjour");
  assert.equal(limited.hits.length, 1);
  assert.equal(streaming.hits.length, 1);
});

Deno.test("SDKs: a group without translation and with no account for the API is a typed 400 they do not retry", async (t) => {
  await using openai = upstream(() => json(200, chatCompletion("never")));
  await using claude = upstream(() => json(200, anthropicMessage("never")));
  await using gw = await startGateway({
    accounts: [
      { id: "oa", upstream: openai },
      { id: "claude", upstream: claude, platform: "anthropic" },
    ],
    groups: [
      { id: "team", accounts: ["oa"], translate: false },
      { id: "claude-only", accounts: ["claude"], translate: false },
    ],
    keys: [
      { id: "alice", key: CLIENT_KEY, group: "team" },
      { id: "carol", key: "sk-client-carol-0123456789", group: "claude-only" },
    ],
  });

  await t.step(
    "Anthropic SDK (as Claude Code): no retries, the group and the API named",
    async () => {
      // Retries on: a retryable status (5xx, 429, 408, 409) would reach the gateway three times.
      const client = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gw.url, maxRetries: 2 });
      const before = gw.received.length;
      await assert.rejects(
        client.messages.create({
          model: "claude-test",
          max_tokens: 64,
          messages: [{ role: "user", content: "hi" }],
        }),
        (error) =>
          error instanceof Anthropic.BadRequestError && error.status === 400 &&
          /group \\?"team\\?" has no account for the Anthropic Messages API/.test(error.message),
      );
      assert.equal(gw.received.length - before, 1, "one request: not retried");
    },
  );

  await t.step("OpenAI SDK: the same", async () => {
    const client = new OpenAI({
      apiKey: "sk-client-carol-0123456789",
      baseURL: `${gw.url}/v1`,
      maxRetries: 2,
    });
    const before = gw.received.length;
    await assert.rejects(
      client.chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "hi" }],
      }),
      (error) =>
        error instanceof OpenAI.BadRequestError && error.status === 400 &&
        /group \\?"claude-only\\?" has no account for the OpenAI API/.test(error.message),
    );
    assert.equal(gw.received.length - before, 1, "one request: not retried");
  });
  assert.equal(openai.hits.length + claude.hits.length, 0);
});
