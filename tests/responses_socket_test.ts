/**
 * The Responses WebSocket with a raw client (Deno's `WebSocket`) through a
 * real gateway: each turn's events arrive in order and whole however the
 * upstream's SSE is cut; a refused turn is one `error` event and the
 * connection goes on; a client closing mid-turn cancels the upstream
 * request; the handshake needs a client key; and each limit closes with
 * its documented code and a reason naming it.
 */
import assert from "node:assert/strict";
import { FailoverLog } from "../lib/observe/failover_log.ts";
import { eventually, latch, within } from "./support/async.ts";
import {
  ADMIN_TOKEN,
  CLIENT_KEY,
  configDocument,
  SECRET,
  startGateway,
} from "./support/gateway.ts";
import { spawnGateway, startServeTask } from "./support/process.ts";
import { RECORDED } from "./support/recorded_streams.ts";
import { eventStream } from "./support/protocol_mocks.ts";
import { RESPONSES_STREAM } from "../lib/protocols/testdata/responses_stream.ts";
import { sample } from "./support/prometheus.ts";
import { SocketClient } from "./support/socket_client.ts";
import {
  eventChunks,
  midLineChunks,
  oneByteChunks,
  prng,
  propertySeed,
  randomSplits,
  replay,
  singleCuts,
  type Split,
} from "./support/splits.ts";
import { trickledResponse } from "./support/streams.ts";
import { json, openaiError, refusedUrl, upstream, USAGE_LIMIT_403 } from "./support/upstream.ts";

const SEED = propertySeed();
const encoder = new TextEncoder();
const RESPONSES = RECORDED.find((stream) => stream.name === "responses")!;
const ANTHROPIC = RECORDED.find((stream) => stream.name === "anthropic")!;
const TURN = { model: "gpt-4.1-mini", input: "hi", store: false };

/** The `data` of each event of an SSE text, read independently of the gateway's parser. */
function eventData(text: string): string[] {
  return text.replaceAll("\r\n", "\n").split("\n\n").flatMap((block) => {
    const data = block.split("\n").filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""));
    return data.length > 0 && data.join("\n") !== "[DONE]" ? [data.join("\n")] : [];
  });
}

Deno.test("websocket: each event arrives whole and in order, however the upstream cuts its SSE", async () => {
  const random = prng(SEED);
  for (const text of [RESPONSES.text, RESPONSES.text.replaceAll("\n", "\r\n")]) {
    const bytes = encoder.encode(text);
    const singles = singleCuts(bytes.length);
    const splits: Split[] = [
      { name: "one piece", cuts: [] },
      eventChunks(bytes),
      midLineChunks(bytes),
      ...randomSplits(bytes.length, 10, random),
      // A sample of the single cuts (every one is covered by the HTTP split tests' parser).
      ...Array.from({ length: 25 }, () => singles[Math.floor(random() * singles.length)]),
      oneByteChunks(bytes.length),
    ];
    let next = 0;
    await using mock = upstream(() => trickledResponse(text, splits[next++].cuts));
    await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
    await using client = await SocketClient.open(gateway.url);
    const expected = eventData(text).map((data) => JSON.parse(data));
    for (const split of splits) {
      const events = await client.turn(TURN);
      assert.deepEqual(events, expected, replay("events differ", SEED, split));
    }
    assert.equal(mock.hits.length, splits.length);
    // Each turn is a request of its own in the log, marked as a WebSocket turn.
    await eventually(() => gateway.log.length >= splits.length, "one log line per turn");
    assert.ok(gateway.log.every((entry) => entry.transport === "websocket"));
    assert.ok(gateway.log.every((entry) => entry.status === 200 && entry.end === "complete"));
  }
});

Deno.test("websocket: a turn served by an Anthropic key goes to /v1/messages and comes back as Responses events, whole and in order", async () => {
  const random = prng(SEED);
  const text = ANTHROPIC.text;
  const bytes = encoder.encode(text);
  const splits: Split[] = [
    { name: "one piece", cuts: [] },
    eventChunks(bytes),
    midLineChunks(bytes),
    ...randomSplits(bytes.length, 8, random),
    oneByteChunks(bytes.length),
  ];
  let next = 0;
  // The first answer is the HTTP one the socket's turns are compared with; the last, a
  // continued turn's.
  await using mock = upstream(() => trickledResponse(text, splits[next - 1]?.cuts ?? "events"));
  await using gateway = await startGateway({
    accounts: [{ id: "an-1", upstream: mock, platform: "anthropic" }],
  });
  const turn = { model: "claude-sonnet-4", input: "hi", store: false };
  const overHttp = await gateway.api("/v1/responses", { json: { ...turn, stream: true } });
  assert.equal(overHttp.status, 200);
  const expected = eventData(await overHttp.text()).map((data) => JSON.parse(data));
  next++;
  // Independently of the HTTP answer: the Responses events an Anthropic message becomes.
  assert.deepEqual(expected.map((event) => event.type), [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    ...Array(5).fill("response.output_text.delta"),
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
  ]);
  const said = "Hej! Smörgåsbord 🍞 för alla.";
  assert.equal(
    expected.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join(""),
    said,
  );
  const sameSecond = (events: Record<string, unknown>[]) =>
    JSON.parse(JSON.stringify(events).replaceAll(/"created_at":\d+/g, '"created_at":0'));
  await using client = await SocketClient.open(gateway.url);
  for (const split of splits) {
    const events = await client.turn(turn);
    next++;
    assert.deepEqual(
      sameSecond(events),
      sameSecond(expected),
      replay("events differ", SEED, split),
    );
  }
  assert.equal(mock.hits.length, splits.length + 1);
  assert.ok(mock.hits.every((hit) => hit.method === "POST" && hit.path === "/v1/messages"));
  // A turn continuing from one of them: the Anthropic account gets the whole conversation.
  const last = expected.at(-1) as { response: { id: string } };
  const continued = await client.turn({
    ...turn,
    previous_response_id: last.response.id,
    input: "and in English?",
  });
  assert.equal(continued.at(-1)?.type, "response.completed");
  const messages = JSON.parse(mock.hits.at(-1)!.body).messages;
  assert.deepEqual(messages.map((m: { role: string }) => m.role), ["user", "assistant", "user"]);
  assert.match(JSON.stringify(messages), /Smörgåsbord/);
  await eventually(() => gateway.log.length === splits.length + 2, "one log line per turn");
  assert.deepEqual(
    gateway.log.map((entry) => entry.transport ?? "http"),
    ["http", ...Array(splits.length + 1).fill("websocket")],
  );
});

Deno.test("websocket: a refused turn is one error event with its status; the connection goes on", async () => {
  let fail = true;
  await using mock = upstream(() =>
    fail
      ? json(400, openaiError("Unsupported parameter: temperature", "invalid_request_error"))
      : trickledResponse(RESPONSES.text, "events")
  );
  await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
  await using client = await SocketClient.open(gateway.url);
  const [refused] = await client.turn(TURN);
  assert.equal(refused.type, "error");
  assert.equal(refused.status, 400);
  assert.match(JSON.stringify(refused.error), /Unsupported parameter: temperature/);
  // Not JSON, and not a message type the gateway knows: a 400 error event each.
  client.send("{not json");
  assert.deepEqual((await client.next())?.status, 400);
  client.send({ type: "session.update" });
  const unknown = await client.next();
  assert.equal(unknown?.status, 400);
  assert.match(JSON.stringify(unknown), /response\.create/);
  fail = false;
  const events = await client.turn(TURN);
  assert.equal(events.at(-1)?.type, "response.completed");
});

Deno.test("websocket: failover before the first event, as over HTTP", async () => {
  await using exhausted = upstream(() => json(403, USAGE_LIMIT_403));
  await using healthy = upstream(() => trickledResponse(RESPONSES.text, [7, 100, 101]));
  await using gateway = await startGateway({
    accounts: [
      { id: "oa-1", upstream: exhausted, priority: 1 },
      { id: "oa-2", upstream: healthy, priority: 2 },
    ],
  });
  await using client = await SocketClient.open(gateway.url);
  const events = await client.turn(TURN);
  assert.deepEqual(events, eventData(RESPONSES.text).map((data) => JSON.parse(data)));
  await eventually(() => gateway.log.length === 1, "the turn's log line");
  const [entry] = gateway.log;
  assert.equal(entry.transport, "websocket");
  assert.deepEqual(entry.attempts.map((a) => [a.account, a.outcome]), [
    ["oa-1", "failover"],
    ["oa-2", "success"],
  ]);
  // The failover log (the console's list) marks it as a WebSocket turn too.
  await gateway.gateway.settled();
  const failovers = await new FailoverLog(gateway.kv).recent();
  assert.deepEqual(failovers.map((f) => [f.account, f.key, f.transport]), [
    ["oa-1", "alice", "websocket"],
  ]);
});

Deno.test("websocket: a continued turn replays the earlier output without item ids (store: false)", async () => {
  // The first answer: encrypted reasoning, a message and two tool calls, each with its id.
  await using mock = upstream((_request, hit) =>
    mock.hits.indexOf(hit) === 0
      ? eventStream(RESPONSES_STREAM)
      : trickledResponse(RESPONSES.text, "events")
  );
  await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
  await using client = await SocketClient.open(gateway.url);
  const first = await client.turn(TURN);
  const completed = first.at(-1) as { type: string; response: { id: string } };
  assert.equal(completed.type, "response.completed");
  const results = ["call_A", "call_B"].map((call_id) => ({
    type: "function_call_output",
    call_id,
    output: "sunny",
  }));
  const second = await client.turn({
    ...TURN,
    previous_response_id: completed.response.id,
    input: results,
  });
  assert.equal(second.at(-1)?.type, "response.completed");
  assert.equal(mock.hits.length, 2);
  const body = JSON.parse(mock.hits[1].body);
  assert.equal(body.previous_response_id, undefined);
  const items: Record<string, unknown>[] = body.input;
  assert.deepEqual(items.map((item) => item.type), [
    "message",
    "reasoning",
    "message",
    "function_call",
    "function_call",
    "function_call_output",
    "function_call_output",
  ]);
  assert.deepEqual(items.filter((item) => "id" in item), [], "no item carries an id");
  assert.equal(items[1].encrypted_content, "gAAAA", "encrypted reasoning is kept");
  assert.equal(items[3].call_id, "call_A");
});

Deno.test("websocket: a client closing mid-turn cancels the upstream request", async () => {
  const cancelled = latch();
  // Up to the first content: the gateway holds events before content (failover may still move it).
  const delta = RESPONSES.text.indexOf("response.output_text.delta");
  const created = RESPONSES.text.slice(0, RESPONSES.text.indexOf("\n\n", delta) + 2);
  await using mock = upstream((request) => {
    request.signal.addEventListener("abort", () => cancelled.resolve(), { once: true });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(created));
      },
      cancel() {
        cancelled.resolve();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
  const client = await SocketClient.open(gateway.url);
  client.send({ type: "response.create", ...TURN });
  assert.equal((await client.next())?.type, "response.created");
  client.socket.close();
  await within(cancelled.promise, "the upstream request to be cancelled");
  const entry = await eventually(() => gateway.log.find((e) => e.transport === "websocket"));
  assert.equal(entry.end, "aborted");
});

Deno.test("websocket: an answer that breaks off after content still ends its turn, with an error event", async () => {
  // Through the first content: past it the turn cannot move to another account.
  const delta = RESPONSES.text.indexOf("response.output_text.delta");
  const upto = RESPONSES.text.slice(0, RESPONSES.text.indexOf("\n\n", delta) + 2);
  let cut = true;
  await using mock = upstream(() => {
    if (!cut) return trickledResponse(RESPONSES.text, "events");
    let pulls = 0;
    // The cut comes when the gateway asks for more after the content it was given.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(encoder.encode(upto));
        else controller.error(new Error("upstream connection reset"));
      },
    }, { highWaterMark: 0 });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
  await using client = await SocketClient.open(gateway.url);
  const events = await client.turn(TURN);
  assert.deepEqual(
    events.slice(0, -1),
    eventData(upto).map((data) => JSON.parse(data)),
    "the events that came, whole",
  );
  const last = events.at(-1)!;
  assert.equal(last.type, "error");
  assert.equal(last.status, 502);
  assert.match(JSON.stringify(last.error), /broke off/);
  // The connection goes on.
  cut = false;
  assert.equal((await client.turn(TURN)).at(-1)?.type, "response.completed");
});

Deno.test("websocket: the handshake needs a valid client key", async () => {
  await using mock = upstream(() => trickledResponse(RESPONSES.text, "events"));
  await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
  const response = await fetch(`${gateway.url}/v1/responses`, {
    headers: {
      authorization: "Bearer sk-wrong",
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    },
  });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error.type, "invalid_request_error");
  assert.equal(mock.hits.length, 0);
  await assert.rejects(() => SocketClient.open(gateway.url, "sk-wrong"));
});

Deno.test("websocket: limits close with their documented codes and reasons", async (t) => {
  await using mock = upstream(() => trickledResponse(RESPONSES.text, "events"));
  await t.step("a message over maxMessageBytes: 1009", async () => {
    await using gateway = await startGateway({
      accounts: [{ id: "oa-1", upstream: mock }],
      websocket: { maxMessageBytes: 2000 },
    });
    await using client = await SocketClient.open(gateway.url);
    client.send({ type: "response.create", ...TURN, input: "x".repeat(3000) });
    const closed = await within(client.closed, "the close");
    assert.equal(closed.code, 1009);
    assert.match(closed.reason, /2000 bytes/);
  });
  await t.step("a binary message: 1003", async () => {
    await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
    await using client = await SocketClient.open(gateway.url);
    client.socket.send(new Uint8Array([1, 2, 3]));
    const closed = await within(client.closed, "the close");
    assert.equal(closed.code, 1003);
  });
  await t.step("idle for idleSeconds: 1000, after the turn, not during it", async () => {
    // A turn of about 0.6 s, twice idleSeconds: the connection is not idle while it runs.
    let slow = true;
    await using slowly = upstream(() =>
      trickledResponse(RESPONSES.text, "events", { pauseMs: slow ? 40 : 0 })
    );
    await using gateway = await startGateway({
      accounts: [{ id: "oa-1", upstream: slowly }],
      websocket: { idleSeconds: 0.3 },
    });
    await using client = await SocketClient.open(gateway.url);
    const started = performance.now();
    const events = await client.turn(TURN);
    assert.equal(events.at(-1)?.type, "response.completed");
    assert.ok(performance.now() - started > 450, "the turn outlasted idleSeconds");
    // Had the idle limit run during the turn, the connection would be closing now and would
    // take no further turn.
    slow = false;
    assert.equal((await client.turn(TURN)).at(-1)?.type, "response.completed");
    const closed = await within(client.closed, "the close");
    assert.equal(closed.code, 1000);
    assert.match(closed.reason, /idle/);
  });
  await t.step("past maxConnectionSeconds: 1000", async () => {
    await using gateway = await startGateway({
      accounts: [{ id: "oa-1", upstream: mock }],
      websocket: { maxConnectionSeconds: 0.3 },
    });
    await using client = await SocketClient.open(gateway.url);
    const closed = await within(client.closed, "the close");
    assert.equal(closed.code, 1000);
    assert.match(closed.reason, /lifetime/);
  });
  await t.step("shutdown: 1001", async () => {
    await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
    await using client = await SocketClient.open(gateway.url);
    await gateway.gateway.closeSockets();
    const closed = await within(client.closed, "the close");
    assert.equal(closed.code, 1001);
    assert.match(closed.reason, /shutting down/);
  });
  await t.step("shutdown mid-turn: the turn finishes, then 1001", async () => {
    const release = latch();
    const delta = RESPONSES.text.indexOf("response.output_text.delta");
    const head = RESPONSES.text.slice(0, RESPONSES.text.indexOf("\n\n", delta) + 2);
    await using held = upstream(() =>
      new Response(
        new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode(head));
            await release.promise;
            controller.enqueue(encoder.encode(RESPONSES.text.slice(head.length)));
            controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      )
    );
    await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: held }] });
    await using client = await SocketClient.open(gateway.url);
    client.send({ type: "response.create", ...TURN });
    assert.equal((await client.next())?.type, "response.created");
    const closing = gateway.gateway.closeSockets();
    // New connections are refused while draining.
    await assert.rejects(() => SocketClient.open(gateway.url));
    assert.equal(client.socket.readyState, WebSocket.OPEN);
    release.resolve();
    const events = [];
    for (let event = await client.next(); event; event = await client.next()) events.push(event);
    assert.equal(events.at(-1)?.type, "response.completed");
    const closed = await within(client.closed, "the close");
    assert.equal(closed.code, 1001);
    await closing;
  });
  await t.step("shutdown with a turn past the drain bound: cancelled, then 1001", async () => {
    const cancelled = latch();
    const delta = RESPONSES.text.indexOf("response.output_text.delta");
    const head = RESPONSES.text.slice(0, RESPONSES.text.indexOf("\n\n", delta) + 2);
    await using stuck = upstream((request) => {
      request.signal.addEventListener("abort", () => cancelled.resolve(), { once: true });
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode(head));
          },
          cancel() {
            cancelled.resolve();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    });
    await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: stuck }] });
    await using client = await SocketClient.open(gateway.url);
    client.send({ type: "response.create", ...TURN });
    assert.equal((await client.next())?.type, "response.created");
    await within(gateway.gateway.closeSockets(200), "the drain to end at its bound");
    const closed = await within(client.closed, "the close");
    assert.equal(closed.code, 1001);
    assert.equal(closed.reason, "the gateway is shutting down");
    await within(cancelled.promise, "the upstream request to be cancelled");
  });
});

Deno.test("websocket: a quiet connection is pinged, and one that never answers is closed", async () => {
  await using mock = upstream(() => trickledResponse(RESPONSES.text, "events"));
  await using gateway = await startGateway({
    accounts: [{ id: "oa-1", upstream: mock }],
    websocket: { pingSeconds: 0.2 },
  });
  // A raw client that never answers a ping (Deno's WebSocket would pong by itself).
  const port = Number(new URL(gateway.url).port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(
    "GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      `Sec-WebSocket-Version: 13\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n\r\n`,
  ));
  const received: number[] = [];
  const buffer = new Uint8Array(4096);
  await within(
    (async () => {
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
        received.push(...buffer.subarray(0, n));
      }
    })(),
    "the unanswered connection to be closed",
  );
  conn.close();
  const text = new TextDecoder().decode(new Uint8Array(received));
  assert.match(text, /^HTTP\/1\.1 101/);
  const frames = new Uint8Array(received.slice(text.indexOf("\r\n\r\n") + 4));
  assert.equal(frames[0], 0x89, "the first frame after the upgrade is a ping");
});

Deno.test("websocket: the key's concurrency slot is held while a turn is in flight, not while idle", async () => {
  const release = latch();
  const delta = RESPONSES.text.indexOf("response.output_text.delta");
  const head = RESPONSES.text.slice(0, RESPONSES.text.indexOf("\n\n", delta) + 2);
  let hold = false;
  await using mock = upstream(() => {
    if (!hold) return trickledResponse(RESPONSES.text, "events");
    hold = false;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(head));
        await release.promise;
        controller.enqueue(encoder.encode(RESPONSES.text.slice(head.length)));
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  await using gateway = await startGateway({
    config: {
      accounts: [{ id: "oa-1", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-up" }],
      groups: [{ id: "team", accounts: ["oa-1"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team", concurrency: 1 }],
      queueTimeoutSeconds: 0.5,
    },
  });
  await using first = await SocketClient.open(gateway.url);
  await using second = await SocketClient.open(gateway.url);
  // Idle connections hold nothing: turns on both, one after the other, all served.
  for (const client of [first, second, first, second]) {
    assert.equal((await client.turn(TURN)).at(-1)?.type, "response.completed");
  }
  // A turn in flight holds the key's one slot: the other connection's turn waits, then times out.
  hold = true;
  first.send({ type: "response.create", ...TURN });
  assert.equal((await first.next())?.type, "response.created");
  const waited = await second.turn(TURN);
  assert.equal(waited.at(-1)?.type, "error");
  release.resolve();
  for (let event = await first.next(); event?.type !== "response.completed";) {
    event = await first.next();
    assert.ok(event, "the held turn completes");
  }
  assert.equal((await second.turn(TURN)).at(-1)?.type, "response.completed");
});

/** `main.ts`, and `deno task serve` (`lib/serve.ts` on `deno serve --parallel`), on a config file. */
const PROCESSES = {
  "main.ts": (configPath: string, kvPath: string) => spawnGateway(configPath, kvPath),
  "deno task serve": (configPath: string, kvPath: string) =>
    startServeTask({
      SWITCHYARD_CONFIG: configPath,
      SWITCHYARD_KV: kvPath,
      SWITCHYARD_SECRET: SECRET,
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
      HOST: "127.0.0.1",
      PORT: new URL(refusedUrl()).port,
    }),
};

for (const [name, start] of Object.entries(PROCESSES)) {
  Deno.test(`websocket: SIGTERM to ${name} lets a turn in flight finish, then closes with 1001 and the gateway's reason`, async () => {
    // Slow: about 1.5 s from the first delta to the last event, so the signal lands mid-turn.
    await using mock = upstream(() => trickledResponse(RESPONSES.text, "events", { pauseMs: 150 }));
    const dir = await Deno.makeTempDir({ prefix: "switchyard-ws-" });
    try {
      const configPath = `${dir}/switchyard.json`;
      await Deno.writeTextFile(
        configPath,
        JSON.stringify(configDocument({ accounts: [{ id: "oa-1", upstream: mock }] })),
      );
      const gateway = await start(configPath, `${dir}/state.kv`);
      try {
        const client = await SocketClient.open(gateway.url);
        client.send({ type: "response.create", ...TURN });
        const events = [];
        for (let event = await client.next(); event; event = await client.next()) {
          events.push(event);
          if (event.type === "response.output_text.delta") break;
        }
        assert.equal(events.at(-1)?.type, "response.output_text.delta", "the turn is under way");
        const stopping = gateway.stop();
        for (let event = await client.next(); event; event = await client.next()) {
          events.push(event);
        }
        assert.deepEqual(
          events,
          eventData(RESPONSES.text).map((data) => JSON.parse(data)),
          "the whole turn, up to response.completed",
        );
        const closed = await within(client.closed, "the socket to close");
        assert.equal(closed.code, 1001);
        assert.equal(closed.reason, "the gateway is shutting down");
        await within(stopping, "the process to exit");
        assert.equal(mock.hits.length, 1);
      } finally {
        await gateway.stop();
        assert.doesNotMatch(gateway.stdout() + gateway.stderr(), /unhandled/);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("websocket: a client that stops reading stops the upstream being read (backpressure)", async () => {
  let produced = 0;
  let cancelled = false;
  const delta = (n: number) =>
    `event: response.output_text.delta\ndata: ${
      JSON.stringify({
        type: "response.output_text.delta",
        item_id: "msg_1",
        output_index: 0,
        content_index: 0,
        delta: `${n} ${"z".repeat(1000)}`,
      })
    }\n\n`;
  const created = RESPONSES.text.slice(0, RESPONSES.text.indexOf("\n\n") + 2);
  await using mock = upstream(() => {
    let n = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          const bytes = encoder.encode(n === 0 ? created + delta(n) : delta(n));
          n++;
          produced += bytes.byteLength;
          controller.enqueue(bytes);
        },
        cancel() {
          cancelled = true;
        },
      }, { highWaterMark: 0 }),
      { headers: { "content-type": "text/event-stream" } },
    );
  });
  await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: mock }] });
  const port = Number(new URL(gateway.url).port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(
    "GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      `Sec-WebSocket-Version: 13\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n\r\n`,
  ));
  await conn.write(maskedTextFrame(JSON.stringify({ type: "response.create", ...TURN })));
  // Never read: once the buffers between are full, the gateway must stop pulling.
  let last = -1;
  let steady = 0;
  await eventually(async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    steady = produced > 0 && produced === last ? steady + 1 : 0;
    last = produced;
    return steady >= 5;
  }, "the upstream to stop being read");
  assert.ok(produced < 64 * 1024 * 1024, `read ${produced} bytes for a client reading nothing`);
  assert.equal(cancelled, false);
  conn.close();
  await eventually(() => cancelled, "the upstream cancelled once the client is gone");
});

/** A client's text frame (masked, as RFC 6455 requires of clients). */
function maskedTextFrame(text: string): Uint8Array {
  const payload = encoder.encode(text);
  const length = payload.byteLength;
  const header = length < 126
    ? [0x81, 0x80 | length]
    : [0x81, 0x80 | 126, length >> 8, length & 0xff];
  const mask = [1, 2, 3, 4];
  const frame = new Uint8Array(header.length + 4 + length);
  frame.set(header);
  frame.set(mask, header.length);
  payload.forEach((byte, i) => frame[header.length + 4 + i] = byte ^ mask[i % 4]);
  return frame;
}

Deno.test("websocket: each turn is admitted like a request: rpm refuses the second with a 429 event", async () => {
  await using mock = upstream(() => trickledResponse(RESPONSES.text, "events"));
  await using gateway = await startGateway({
    config: {
      accounts: [{ id: "oa-1", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-up" }],
      groups: [{ id: "team", accounts: ["oa-1"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team", rpm: 1 }],
    },
  });
  await using client = await SocketClient.open(gateway.url);
  assert.equal((await client.turn(TURN)).at(-1)?.type, "response.completed");
  const [limited] = await client.turn(TURN);
  assert.equal(limited.type, "error");
  assert.equal(limited.status, 429);
  assert.match(String((limited.headers as Record<string, string>)["retry-after"]), /^\d+$/);
  assert.equal(mock.hits.length, 1);
  await eventually(() => gateway.log.length === 2, "both turns logged");
  assert.deepEqual(gateway.log.map((e) => [e.status, e.outcome, e.transport]), [
    [200, "success", "websocket"],
    [429, "limited", "websocket"],
  ]);
  const metrics = await (await gateway.admin("/metrics")).text();
  const turns = (status: string, outcome: string) =>
    sample(metrics, "switchyard_websocket_turns_total", { status, outcome });
  assert.equal(turns("200", "success"), 1);
  assert.equal(turns("429", "limited"), 1);
});
