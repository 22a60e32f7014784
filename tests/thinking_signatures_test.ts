/**
 * Signed thinking across accounts of one Anthropic group, over real sockets.
 * Each mock account signs its thinking with its own name and, like
 * Anthropic, answers 400 `messages.<i>.content.<j>: Invalid signature in
 * thinking block` for a block another account signed. Whatever the session
 * binding says, each attempt gets the blocks its account signed, intact, and
 * none of the others': on an in-request failover, and back on the first
 * account afterwards.
 */

import assert from "node:assert/strict";
import { startGateway, type TestGateway } from "./support/gateway.ts";
import { bothKvs } from "./support/shared_kv.ts";
import { sseText, trickledResponse } from "./support/streams.ts";
import { anthropicError, json, type TestUpstream, upstream } from "./support/upstream.ts";

interface Block {
  type: string;
  [field: string]: unknown;
}
interface Message {
  role: string;
  content: string | Block[];
}

/**
 * An Anthropic account that signs its thinking `sig.<label>.<n>` (and its
 * redacted thinking `enc.<label>.<n>`) and refuses any block it did not sign.
 * `state.down` makes it answer 429. Streams are cut at odd byte offsets.
 */
function signingAccount(label: string): TestUpstream & { state: { down: boolean } } {
  let turns = 0;
  const state = { down: false };
  const mock = upstream((_request, hit) => {
    if (state.down) {
      return json(
        429,
        anthropicError("Number of requests has exceeded your rate limit", "rate_limit_error"),
        {
          "retry-after": "30",
        },
      );
    }
    const body = JSON.parse(hit.body) as { messages: Message[]; stream?: boolean };
    const bad = foreignBlock(body.messages, label);
    if (bad) {
      return json(
        400,
        anthropicError(`${bad}: Invalid signature in thinking block`, "invalid_request_error"),
      );
    }
    const n = ++turns;
    const signature = `sig.${label}.${n}`;
    const text = `Answer ${n} from ${label}.`;
    if (!body.stream) {
      return json(200, {
        id: `msg_${label}${n}`,
        type: "message",
        role: "assistant",
        model: "claude-test",
        content: [
          { type: "thinking", thinking: `Thinking ${n}.`, signature },
          { type: "redacted_thinking", data: `enc.${label}.${n}` },
          { type: "text", text },
        ],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5 },
      });
    }
    const events = sseText(thinkingStream(label, n, signature, text));
    // Odd cuts: inside the signature, inside an event name, between CR-less lines.
    const cuts = [7, 61, events.indexOf(signature) + 3, events.indexOf("signature_delta") + 5];
    return trickledResponse(events, [...new Set(cuts.filter((cut) => cut > 0))]);
  });
  return Object.assign(mock, { state });
}

/** Where the first block signed by another account sits, as Anthropic names it. */
function foreignBlock(messages: Message[], label: string): string | undefined {
  for (const [i, message] of messages.entries()) {
    if (typeof message.content === "string") continue;
    for (const [j, block] of message.content.entries()) {
      const mark = block.type === "thinking"
        ? block.signature
        : block.type === "redacted_thinking"
        ? block.data
        : undefined;
      if (typeof mark === "string" && mark.split(".")[1] !== label) {
        return `messages.${i}.content.${j}`;
      }
    }
  }
  return undefined;
}

function thinkingStream(
  label: string,
  n: number,
  signature: string,
  text: string,
): [string, unknown][] {
  return [
    ["message_start", {
      type: "message_start",
      message: {
        id: `msg_${label}${n}`,
        type: "message",
        role: "assistant",
        model: "claude-test",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    }],
    ["content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    }],
    ["content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "thinking_delta", thinking: `Thinking ${n}.` },
    }],
    ["content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "signature_delta", signature },
    }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["content_block_start", {
      type: "content_block_start",
      index: 1,
      content_block: { type: "text", text: "" },
    }],
    ["content_block_delta", {
      type: "content_block_delta",
      index: 1,
      delta: { type: "text_delta", text },
    }],
    ["content_block_stop", { type: "content_block_stop", index: 1 }],
    ["message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 5 },
    }],
    ["message_stop", { type: "message_stop" }],
  ];
}

/** The assistant message a client keeps from a streamed answer (as the SDKs assemble it). */
function assembled(text: string): Message {
  const blocks: Block[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const event = JSON.parse(line.slice(6));
    if (event.type === "content_block_start") blocks[event.index] = { ...event.content_block };
    if (event.type !== "content_block_delta") continue;
    const block = blocks[event.index];
    const delta = event.delta;
    if (delta.type === "thinking_delta") block.thinking = `${block.thinking}${delta.thinking}`;
    if (delta.type === "signature_delta") block.signature = delta.signature;
    if (delta.type === "text_delta") block.text = `${block.text}${delta.text}`;
  }
  return { role: "assistant", content: blocks };
}

/** The signatures (and redacted data) in a request an upstream received. */
function marksIn(body: string): string[] {
  return [...body.matchAll(/"((?:sig|enc)\.[a-z]+\.\d+)"/g)].map((match) => match[1]).sort();
}

async function turn(
  gw: TestGateway,
  history: Message[],
  stream: boolean,
  session: Record<string, unknown>,
): Promise<{ account: string | null; status: number; message: Message; raw: string }> {
  const response = await gw.api("/v1/messages", {
    json: {
      model: "claude-test",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: history,
      stream,
      ...session,
    },
  });
  const raw = await response.text();
  const account = response.headers.get("x-switchyard-account");
  if (response.status !== 200) {
    return { account, status: response.status, message: { role: "assistant", content: [] }, raw };
  }
  const message = stream
    ? assembled(raw)
    : { role: "assistant", content: (JSON.parse(raw) as { content: Block[] }).content };
  return { account, status: response.status, message, raw };
}

for (
  const [name, session] of [
    ["no session key", {}],
    ["a session key (the binding moves to B, then A serves unbound)", {
      metadata: { user_id: "user-7" },
    }],
  ] as const
) {
  Deno.test(`signed thinking goes only to the account that signed it (${name})`, async () => {
    await using a = signingAccount("a");
    await using b = signingAccount("b");
    await using gw = await startGateway({
      accounts: [
        { id: "a", upstream: a, platform: "anthropic", priority: 1 },
        { id: "b", upstream: b, platform: "anthropic", priority: 2 },
      ],
    });
    const history: Message[] = [{ role: "user", content: "Why is the sky blue?" }];

    // Turn 1: A answers, streaming, with thinking signed by A.
    const first = await turn(gw, history, true, session);
    assert.equal(first.status, 200, first.raw);
    assert.equal(first.account, "a");
    assert.deepEqual(marksIn(JSON.stringify(first.message)), ["sig.a.1"]);
    history.push(first.message, { role: "user", content: "And at sunset?" });

    // Turn 2: A is rate-limited; the request moves to B within the request.
    a.state.down = true;
    const second = await turn(gw, history, false, session);
    assert.equal(second.status, 200, second.raw);
    assert.equal(second.account, "b");
    assert.deepEqual(marksIn(a.hits.at(-1)!.body), ["sig.a.1"], "A was offered its own block");
    assert.deepEqual(marksIn(b.hits.at(-1)!.body), [], "B got none of A's signatures");
    assert.match(b.hits.at(-1)!.body, /Why is the sky blue\?/, "the conversation itself stayed");
    history.push(second.message, { role: "user", content: "Thanks. One more?" });

    // Turn 3: A is back and B is down. A gets its own block intact, and none of B's.
    a.state.down = false;
    b.state.down = true;
    const reset = await gw.admin("/admin/accounts/a/reset", { method: "POST" });
    assert.equal(reset.status, 200);
    await reset.body?.cancel();
    const third = await turn(gw, history, true, session);
    assert.equal(third.status, 200, third.raw);
    assert.equal(third.account, "a");
    const toA = JSON.parse(a.hits.at(-1)!.body) as { messages: Message[] };
    assert.deepEqual(
      (toA.messages[1].content as Block[])[0],
      { type: "thinking", thinking: "Thinking 1.", signature: "sig.a.1" },
      "A's own block, intact",
    );
    assert.deepEqual(marksIn(a.hits.at(-1)!.body), ["sig.a.1"]);
  });
}

bothKvs("another gateway process on the same KV knows who signed what", async (kv) => {
  await using a = signingAccount("a");
  await using b = signingAccount("b");
  const spec = {
    accounts: [
      { id: "a", upstream: a, platform: "anthropic" as const, priority: 1 },
      { id: "b", upstream: b, platform: "anthropic" as const, priority: 2 },
    ],
    kvPath: kv.location,
  };
  await using one = await startGateway(spec);
  await using two = await startGateway(spec);
  const history: Message[] = [{ role: "user", content: "hi" }];
  const first = await turn(one, history, true, {});
  assert.equal(first.account, "a");
  history.push(first.message, { role: "user", content: "more" });
  a.state.down = true;
  // At once, on the other process: the stream closed once its record was written.
  const second = await turn(two, history, false, {});
  assert.equal(second.status, 200, second.raw);
  assert.equal(second.account, "b");
  assert.deepEqual(marksIn(a.hits.at(-1)!.body), ["sig.a.1"]);
  assert.deepEqual(marksIn(b.hits.at(-1)!.body), []);
  history.push(second.message, { role: "user", content: "again" });
  // And back: the JSON answer went out once its records were written.
  a.state.down = false;
  b.state.down = true;
  const reset = await one.admin("/admin/accounts/a/reset", { method: "POST" });
  await reset.body?.cancel();
  const third = await turn(one, history, true, {});
  assert.equal(third.status, 200, third.raw);
  assert.equal(third.account, "a");
  assert.deepEqual(marksIn(a.hits.at(-1)!.body), ["sig.a.1"]);
});

Deno.test("thinking the gateway never saw signed stays on the account planned first, and only there", async () => {
  await using a = signingAccount("a");
  await using b = signingAccount("b");
  await using gw = await startGateway({
    accounts: [
      { id: "a", upstream: a, platform: "anthropic", priority: 1 },
      { id: "b", upstream: b, platform: "anthropic", priority: 2 },
    ],
  });
  // A turn A answered before this gateway kept track (or through another gateway).
  const history: Message[] = [
    { role: "user", content: "hi" },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Earlier.", signature: "sig.a.0" },
        { type: "text", text: "Hello." },
      ],
    },
    { role: "user", content: "more" },
  ];
  const kept = await turn(gw, history, false, {});
  assert.equal(kept.account, "a");
  assert.deepEqual(marksIn(a.hits.at(-1)!.body), ["sig.a.0"], "the first account keeps it");

  a.state.down = true;
  const moved = await turn(gw, history, true, {});
  assert.equal(moved.status, 200, moved.raw);
  assert.equal(moved.account, "b");
  assert.deepEqual(marksIn(a.hits.at(-1)!.body), ["sig.a.0"]);
  assert.deepEqual(marksIn(b.hits.at(-1)!.body), [], "a failover attempt gets none of it");
  assert.match(b.hits.at(-1)!.body, /Hello\./);
});
