/**
 * Any client on any account, over real sockets: the real `openai` and
 * `@anthropic-ai/sdk` clients served by groups whose accounts speak only
 * another API (mock upstreams in `support/protocol_mocks.ts` that refuse
 * anything else), tool-call round trips, streaming and not, and failover
 * across protocols.
 */

import assert from "node:assert/strict";
import { Anthropic, OpenAI } from "./support/npm_packages.ts";
import { CLIENT_KEY, SECRET, startGateway, type TestGateway } from "./support/gateway.ts";
import {
  anthropicHandler,
  chatHandler,
  codexAccount,
  codexHandler,
  eventStream,
  FINAL_TEXT,
} from "./support/protocol_mocks.ts";
import { jsonEvent } from "../lib/protocols/sse.ts";
import { json, type TestUpstream, upstream } from "./support/upstream.ts";

const KEYS = {
  codex: "sk-client-codex-only-0123456789",
  anthropic: "sk-client-anthropic-only-0123",
  openai: "sk-client-openai-only-01234567",
  mixed: CLIENT_KEY,
};

interface Mocks {
  codex: TestUpstream;
  anthropic: TestUpstream;
  chat: TestUpstream;
  limited: TestUpstream;
}

async function gatewayFor(mocks: Mocks): Promise<TestGateway> {
  return await startGateway({
    secret: SECRET,
    config: {
      accounts: [
        codexAccount("codex", mocks.codex.url),
        { id: "claude-key", platform: "anthropic", baseUrl: mocks.anthropic.url, apiKey: "sk-a" },
        { id: "oa", platform: "openai", baseUrl: mocks.chat.url, apiKey: "sk-o" },
        { id: "oa-limited", platform: "openai", baseUrl: mocks.limited.url, apiKey: "sk-l" },
      ],
      groups: [
        { id: "codex-only", accounts: ["codex"] },
        { id: "anthropic-only", accounts: ["claude-key"] },
        { id: "openai-only", accounts: ["oa"] },
        // The native account first by listing and by kind; it is out of quota.
        { id: "mixed", accounts: ["oa-limited", "claude-key"] },
      ],
      keys: [
        { id: "c", key: KEYS.codex, group: "codex-only" },
        { id: "a", key: KEYS.anthropic, group: "anthropic-only" },
        { id: "o", key: KEYS.openai, group: "openai-only" },
        { id: "m", key: KEYS.mixed, group: "mixed" },
      ],
    },
  });
}

const WEATHER_TOOL: OpenAI.Chat.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const QUESTION: OpenAI.Chat.ChatCompletionMessageParam[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Paris and Oslo?" },
];

function openai(gw: TestGateway, key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
}

/** A chat tool round trip, non-streaming: tool calls, then the answer to their results. */
async function chatRoundTrip(client: OpenAI): Promise<void> {
  const first = await client.chat.completions.create({
    model: "gpt-5",
    messages: QUESTION,
    tools: [WEATHER_TOOL],
    temperature: 0.2,
    max_completion_tokens: 300,
  });
  const choice = first.choices[0];
  assert.equal(choice.finish_reason, "tool_calls");
  const calls = choice.message.tool_calls ?? [];
  assert.equal(calls.length, 2);
  assert.ok(
    calls.every((call) => call.type === "function" && call.function.name === "get_weather"),
  );
  assert.ok(
    first.usage && first.usage.prompt_tokens === 100 && first.usage.completion_tokens === 20,
  );
  const second = await client.chat.completions.create({
    model: "gpt-5",
    messages: [
      ...QUESTION,
      choice.message,
      ...calls.map((call) => ({
        role: "tool" as const,
        tool_call_id: call.id,
        content: "sunny",
      })),
    ],
    tools: [WEATHER_TOOL],
  });
  assert.equal(second.choices[0].message.content, FINAL_TEXT);
  assert.equal(second.choices[0].finish_reason, "stop");
}

/** A streaming chat call with tools: the deltas reassembled, usage at the end. */
async function chatStream(client: OpenAI): Promise<void> {
  const stream = await client.chat.completions.create({
    model: "gpt-5",
    messages: QUESTION,
    tools: [WEATHER_TOOL],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  const args = new Map<number, string>();
  const names = new Map<number, string>();
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (chunk.usage) usage = chunk.usage;
    if (!choice) continue;
    text += choice.delta.content ?? "";
    for (const call of choice.delta.tool_calls ?? []) {
      if (call.function?.name) names.set(call.index, call.function.name);
      args.set(call.index, (args.get(call.index) ?? "") + (call.function?.arguments ?? ""));
    }
    finish = choice.finish_reason ?? finish;
  }
  assert.equal(text, "Checking both cities.");
  assert.deepEqual([...names.values()], ["get_weather", "get_weather"]);
  assert.deepEqual([...args.values()].map((a) => JSON.parse(a).city), ["Paris", "Oslo"]);
  assert.equal(finish, "tool_calls");
  assert.equal(usage?.prompt_tokens, 100);
  assert.equal(usage?.completion_tokens, 20);
}

/** Streaming Messages with tools through the Anthropic SDK. */
async function messagesStream(gw: TestGateway, key: string): Promise<void> {
  const client = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
  const stream = client.messages.stream({
    model: "claude-test",
    max_tokens: 300,
    system: "Be brief.",
    messages: [{ role: "user", content: "Weather in Paris and Oslo?" }],
    tools: [{
      name: "get_weather",
      description: "Weather for a city",
      input_schema: { type: "object", properties: { city: { type: "string" } } },
    }],
  });
  const message = await stream.finalMessage();
  assert.equal(message.stop_reason, "tool_use");
  const uses = message.content.filter((block) => block.type === "tool_use");
  assert.deepEqual(uses.map((block) => (block.input as { city: string }).city), ["Paris", "Oslo"]);
  const text = message.content.filter((block) => block.type === "text").map((b) => b.text).join("");
  assert.equal(text, "Checking both cities.");
  assert.equal(message.usage.output_tokens, 20);
}

Deno.test("translation: SDK clients on accounts of another API", async (t) => {
  await using codex = upstream(codexHandler);
  await using anthropic = upstream(anthropicHandler);
  await using chat = upstream(chatHandler);
  await using limited = upstream(() =>
    json(403, {
      error: {
        message: "You exceeded your current quota, please check your plan and billing details.",
        type: "insufficient_quota",
        code: "insufficient_quota",
      },
    })
  );
  await using gw = await gatewayFor({ codex, anthropic, chat, limited });

  await t.step("OpenAI SDK chat on a Codex-only group: a tool round trip", async () => {
    await chatRoundTrip(openai(gw, KEYS.codex));
    assert.ok(codex.hits.length >= 2);
    for (const hit of codex.hits) {
      assert.equal(hit.path, "/responses");
      const sent = JSON.parse(hit.body);
      assert.equal(sent.store, false);
      assert.equal(sent.stream, true);
    }
    assert.equal(JSON.parse(codex.hits[0].body).instructions, "Be brief.");
  });

  await t.step("OpenAI SDK chat on a Codex-only group: streaming", async () => {
    await chatStream(openai(gw, KEYS.codex));
  });

  await t.step("OpenAI SDK chat on an Anthropic-only group: a tool round trip", async () => {
    await chatRoundTrip(openai(gw, KEYS.anthropic));
    assert.equal(anthropic.hits.at(-1)?.path, "/messages");
  });

  await t.step("OpenAI SDK chat on an Anthropic-only group: streaming", async () => {
    await chatStream(openai(gw, KEYS.anthropic));
  });

  await t.step("Anthropic SDK streaming with tools on an OpenAI-only group", async () => {
    const before = chat.hits.length;
    await messagesStream(gw, KEYS.openai);
    assert.equal(chat.hits.length, before + 1);
    assert.equal(chat.hits.at(-1)?.path, "/chat/completions");
  });

  await t.step("Anthropic SDK streaming with tools on a Codex-only group", async () => {
    const before = codex.hits.length;
    await messagesStream(gw, KEYS.codex);
    assert.equal(codex.hits.length, before + 1);
  });

  await t.step(
    "failover across protocols: a usage-limit 403, then a translated account",
    async () => {
      const before = anthropic.hits.length;
      const response = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEYS.mixed}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-5", messages: QUESTION, tools: [WEATHER_TOOL] }),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-switchyard-account"), "claude-key");
      const body = await response.json();
      assert.equal(body.object, "chat.completion");
      assert.equal(body.choices[0].finish_reason, "tool_calls");
      assert.equal(limited.hits.length, 1);
      assert.equal(anthropic.hits.length, before + 1);
    },
  );

  await t.step("an upstream error reaches the client in its own shape, status kept", async () => {
    // The Codex backend refuses a request it cannot parse; the Chat client gets an OpenAI error.
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.codex}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5", messages: "not a list" }),
    });
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(typeof body.error?.message, "string");
    assert.equal(body.type, undefined);
  });
});

Deno.test("translation: usage is read from the upstream's own stream, and no chunk is stripped", async () => {
  await using codex = upstream(codexHandler);
  await using anthropic = upstream(anthropicHandler);
  await using chat = upstream(chatHandler);
  await using limited = upstream(() => json(500, {}));
  await using gw = await gatewayFor({ codex, anthropic, chat, limited });
  // Streaming Chat clients that did not ask for the usage chunk: none reaches them, yet it counts.
  for (const key of [KEYS.anthropic, KEYS.codex]) {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5", messages: QUESTION, stream: true }),
    });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /Checking /);
    assert.doesNotMatch(text, /"usage"/);
    assert.match(text, /data: \[DONE\]/);
  }
  // A Chat client that asked gets it, from an upstream whose stream has it in another shape.
  const asked = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEYS.anthropic}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "gpt-5",
      messages: QUESTION,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  assert.match(await asked.text(), /"completion_tokens":20/);
  const response = await gw.admin("/admin/usage?by=key");
  const rows = (await response.json()).rows as { key: string; output: number; input: number }[];
  const byKey = Object.fromEntries(rows.map((row) => [row.key, [row.input, row.output]]));
  assert.deepEqual(byKey, { a: [200, 40], c: [100, 20] });
});

Deno.test("previous_response_id: sent to the account that made the response, refused clearly there", async () => {
  await using codex = upstream(codexHandler);
  await using anthropic = upstream(anthropicHandler);
  await using chat = upstream(chatHandler);
  await using limited = upstream(() => json(500, {}));
  await using gw = await gatewayFor({ codex, anthropic, chat, limited });
  const post = (body: unknown) =>
    fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.codex}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  // A non-streaming Responses client on a Codex account: the stream aggregated into one object.
  const first = await post({ model: "gpt-5", input: "Weather in Paris and Oslo?" });
  assert.equal(first.status, 200);
  const made = await first.json();
  assert.equal(made.object, "response");
  assert.equal(made.status, "completed");
  assert.ok(made.output.some((item: { type: string }) => item.type === "function_call"));
  const before = codex.hits.length;
  const next = await post({ model: "gpt-5", previous_response_id: made.id, input: "And Rome?" });
  assert.equal(next.status, 400);
  const body = await next.json();
  assert.equal(body.error.param, "previous_response_id");
  assert.match(body.error.message, /previous_response_id/);
  assert.equal(codex.hits.length, before, "nothing sent upstream");
});

Deno.test("preamble failover across translation: nothing translated reaches the client first", async () => {
  // A Codex account whose stream fails (usage limit) after its preamble, before any content.
  await using failing = upstream(() =>
    eventStream([
      jsonEvent({
        type: "response.created",
        response: { id: "resp_x", object: "response", status: "in_progress", output: [] },
      }, "response.created"),
      jsonEvent({
        type: "response.failed",
        response: {
          id: "resp_x",
          status: "failed",
          error: { code: "usage_limit_reached", message: "The usage limit has been reached" },
        },
      }, "response.failed"),
    ])
  );
  await using anthropic = upstream(anthropicHandler);
  await using gw = await startGateway({
    secret: SECRET,
    config: {
      accounts: [
        codexAccount("codex", failing.url, { priority: 1 }),
        {
          id: "claude-key",
          platform: "anthropic",
          baseUrl: anthropic.url,
          apiKey: "k",
          priority: 2,
        },
      ],
      groups: [{ id: "team", accounts: ["codex", "claude-key"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
    },
  });
  const response = await fetch(`${gw.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": CLIENT_KEY, "content-type": "application/json" },
    body: JSON.stringify({
      model: "claude-test",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "Weather in Paris and Oslo?" }],
    }),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "claude-key");
  const text = await response.text();
  // One message, the native account's: the Codex preamble was held and dropped.
  assert.equal(text.match(/event: message_start/g)?.length, 1);
  assert.match(text, /"id":"msg_01"/);
  assert.doesNotMatch(text, /resp_x/);
  assert.equal(failing.hits.length, 1);
  assert.equal((await gw.account("codex")).state, "cooldown");
});

Deno.test("a conversation moving to another account of its own API loses the other's signed thinking", async () => {
  let firstDown = false;
  await using first = upstream((request, hit) =>
    firstDown
      ? json(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } })
      : anthropicHandler(request, hit)
  );
  await using second = upstream(anthropicHandler);
  await using gw = await startGateway({
    accounts: [
      { id: "a1", upstream: first, platform: "anthropic", priority: 1 },
      { id: "a2", upstream: second, platform: "anthropic", priority: 2 },
    ],
  });
  const ask = (messages: unknown[]) =>
    gw.api("/v1/messages", {
      json: { model: "claude-test", max_tokens: 100, messages },
      headers: { session_id: "conv-9" },
    });
  const opening = await ask([{ role: "user", content: "hi" }]);
  assert.equal(opening.headers.get("x-switchyard-account"), "a1");
  await opening.body?.cancel();
  firstDown = true;
  const history = [
    { role: "user", content: "hi" },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Greeting.", signature: "sig-from-a1" },
        { type: "text", text: "Hello!" },
      ],
    },
    { role: "user", content: "and now?" },
  ];
  const moved = await ask(history);
  assert.equal(moved.headers.get("x-switchyard-account"), "a2");
  await moved.body?.cancel();
  // The bound account got the conversation as it was; the other one without a1's signature.
  assert.match(first.hits.at(-1)!.body, /sig-from-a1/);
  assert.doesNotMatch(second.hits.at(-1)!.body, /sig-from-a1/);
  assert.match(second.hits.at(-1)!.body, /Hello!/);
});

Deno.test("a translated answer that breaks off before it is whole moves to the next account", async () => {
  // The first account's JSON body stops halfway: nothing has reached the client yet.
  await using broken = upstream(() => {
    const half = new TextEncoder().encode('{"id":"msg_1","type":"message","content":[{"ty');
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        controller.enqueue(half);
        await new Promise((resolve) => setTimeout(resolve, 5));
        controller.error(new Error("upstream went away"));
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  });
  await using healthy = upstream(anthropicHandler);
  await using gateway = await startGateway({
    config: {
      accounts: [
        {
          id: "an-broken",
          platform: "anthropic",
          baseUrl: broken.url,
          apiKey: "sk-b",
          priority: 1,
        },
        { id: "an-ok", platform: "anthropic", baseUrl: healthy.url, apiKey: "sk-h", priority: 2 },
      ],
      groups: [{ id: "team", accounts: ["an-broken", "an-ok"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
    },
  });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
  const { data, response } = await client.chat.completions.create({
    model: "claude-test",
    messages: [{ role: "user", content: "hi" }],
  }).withResponse();
  assert.equal(response.headers.get("x-switchyard-account"), "an-ok");
  assert.equal(typeof data.choices[0].message.content, "string");
  assert.equal(broken.hits.length, 1);
});
