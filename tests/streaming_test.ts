/**
 * Streaming through the gateway: bodies flow event by event (coordinated
 * with latches, never timings), a client that goes away takes the upstream
 * request with it, and an upstream that dies mid-stream ends the client's
 * stream with an error while the gateway carries on.
 */

import assert from "node:assert/strict";
import { type Latch, latch, openOnExit, within } from "./support/async.ts";
import { chatRequest, messagesRequest, startGateway } from "./support/gateway.ts";
import { rawUpstream } from "./support/raw_http.ts";
import { readUntil, sseText } from "./support/streams.ts";
import {
  chatCompletion,
  hangUntilAborted,
  json,
  openaiError,
  upstream,
} from "./support/upstream.ts";

const encoder = new TextEncoder();

type Event = [string | null, string];

/**
 * An SSE upstream that sends step `i` (one or more events) only once
 * `gates[i]` opens, and records in `sent` the data of every event it sent.
 */
function lockstepUpstream(steps: Event[][], gates: Latch[], sent: string[]) {
  return upstream(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          for (const [index, step] of steps.entries()) {
            await gates[index].promise;
            controller.enqueue(encoder.encode(sseText(step)));
            sent.push(...step.map(([, data]) => data));
          }
          controller.close();
        },
      }),
      { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } },
    )
  );
}

/** Streams whose first step starts with content (Responses and Messages may hold a bare preamble). */
const STREAMS: {
  name: string;
  path: string;
  platform: "openai" | "anthropic";
  steps: Event[][];
}[] = [
  {
    name: "chat completions",
    path: "/v1/chat/completions",
    platform: "openai",
    steps: [[[null, '{"n":1}']], [[null, '{"n":2}']], [[null, '{"n":3}']], [[null, "[DONE]"]]],
  },
  {
    name: "responses",
    path: "/v1/responses",
    platform: "openai",
    steps: [
      [
        ["response.created", '{"type":"response.created"}'],
        ["response.output_text.delta", '{"type":"response.output_text.delta","delta":"a"}'],
      ],
      [["response.output_text.delta", '{"type":"response.output_text.delta","delta":"b"}']],
      [["response.completed", '{"type":"response.completed"}']],
    ],
  },
  {
    name: "anthropic messages",
    path: "/v1/messages",
    platform: "anthropic",
    steps: [
      [
        ["message_start", '{"type":"message_start"}'],
        ["content_block_delta", '{"type":"content_block_delta","n":1}'],
      ],
      [["content_block_delta", '{"type":"content_block_delta","n":2}']],
      [["message_stop", '{"type":"message_stop"}']],
    ],
  },
];

Deno.test("SSE through the gateway stays incremental, event by event", async (t) => {
  for (const stream of STREAMS) {
    await t.step(stream.name, async () => {
      const gates = stream.steps.map(() => latch());
      const sent: string[] = [];
      await using streaming = lockstepUpstream(stream.steps, gates, sent);
      await using gw = await startGateway({
        accounts: [{
          id: "streamer",
          upstream: streaming,
          platform: stream.platform,
          passthrough: true,
        }],
      });
      using _ = openOnExit(...gates);

      gates[0].resolve();
      // A gateway that buffered would not answer before the last gate opens: bounded wait.
      const response = await within(
        gw.api(stream.path, {
          json: stream.platform === "openai"
            ? chatRequest("hi", { stream: true })
            : messagesRequest("hi", { stream: true }),
        }),
        "response headers while the upstream still streams",
      );
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const reader = response.body!.getReader();
      let text = "";
      for (const [index, step] of stream.steps.entries()) {
        text = await readUntil(reader, step[step.length - 1][1], text);
        // The client holds step `index` while the upstream has sent nothing after it.
        assert.deepEqual(sent, stream.steps.slice(0, index + 1).flat().map(([, data]) => data));
        gates[index + 1]?.resolve();
      }
      assert.equal((await within(reader.read(), "the end of the stream")).done, true);
      assert.equal(text, sseText(stream.steps.flat()));
    });
  }
});

Deno.test("a stream after a failover is incremental too", async () => {
  const steps: Event[][] = [[[null, '{"n":1}']], [[null, "[DONE]"]]];
  const gates = steps.map(() => latch());
  const sent: string[] = [];
  await using busy = upstream(() => json(429, openaiError("busy")));
  await using streaming = lockstepUpstream(steps, gates, sent);
  await using gw = await startGateway({
    accounts: [
      { id: "busy", upstream: busy, priority: 1, passthrough: true },
      { id: "streamer", upstream: streaming, priority: 2 },
    ],
  });
  using _ = openOnExit(...gates);
  gates[0].resolve();
  const response = await within(
    gw.api("/v1/chat/completions", { json: chatRequest("hi", { stream: true }) }),
    "response headers while the upstream still streams",
  );
  assert.equal(response.headers.get("x-switchyard-account"), "streamer");
  const reader = response.body!.getReader();
  await readUntil(reader, '{"n":1}');
  assert.deepEqual(sent, ['{"n":1}'], "the last event is not sent yet");
  gates[1].resolve();
  await readUntil(reader, "[DONE]");
  assert.equal((await within(reader.read(), "the end of the stream")).done, true);
  assert.equal(busy.hits.length, 1);
});

Deno.test("a client abort mid-stream aborts the upstream request", async () => {
  const upstreamGone = latch<string>();
  const finish = latch();
  await using streaming = upstream((request) => {
    request.signal.addEventListener("abort", () => upstreamGone.resolve("request.signal aborted"));
    return new Response(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode(sseText([[null, '{"n":1}']])));
          await Promise.race([finish.promise, upstreamGone.promise]);
        },
        cancel() {
          upstreamGone.resolve("stream cancelled");
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  });
  await using gw = await startGateway({ accounts: [{ id: "streamer", upstream: streaming }] });
  using _ = openOnExit(finish);

  const client = new AbortController();
  const response = await within(
    gw.api("/v1/chat/completions", {
      json: chatRequest("hi", { stream: true }),
      signal: client.signal,
    }),
    "response headers",
  );
  const reader = response.body!.getReader();
  await readUntil(reader, '{"n":1}');
  client.abort();
  await assert.rejects(reader.read());
  const how = await within(upstreamGone.promise, "the upstream to see the client leave");
  assert.match(how, /aborted|cancelled/);
  finish.resolve();

  // The gateway is healthy and the account was not blamed for the client leaving.
  const health = await gw.api("/healthz", { key: null });
  assert.equal(health.status, 200);
  await health.body?.cancel();
  assert.deepEqual(await gw.account("streamer"), {
    id: "streamer",
    platform: "openai",
    state: "active",
    strikes: 0,
  });
});

Deno.test("a client abort while waiting for upstream headers aborts the upstream request", async () => {
  const arrived = latch();
  const upstreamGone = latch();
  const testOver = latch();
  await using slow = upstream(async (request, hit) => {
    if (slow.hits.indexOf(hit) > 0) return json(200, chatCompletion("slow, later"));
    arrived.resolve();
    const response = await hangUntilAborted(request, testOver.promise);
    upstreamGone.resolve();
    return response;
  });
  await using backup = upstream(() => json(200, chatCompletion("backup")));
  await using gw = await startGateway({
    accounts: [
      { id: "slow", upstream: slow, priority: 1 },
      { id: "backup", upstream: backup, priority: 2 },
    ],
  });
  using _ = openOnExit(testOver);

  const client = new AbortController();
  const pending = gw.api("/v1/chat/completions", {
    json: chatRequest(),
    signal: client.signal,
  });
  await within(arrived.promise, "the request to reach the upstream");
  client.abort();
  await assert.rejects(pending);
  await within(upstreamGone.promise, "the upstream request to be aborted");

  assert.equal(backup.hits.length, 0, "a client that left is not failed over");
  assert.equal((await gw.account("slow")).state, "active", "the account is not blamed");
  const next = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(next.status, 200);
  assert.equal(next.headers.get("x-switchyard-account"), "slow");
  await next.body?.cancel();
});

Deno.test("an upstream dropping mid-stream ends the client's stream with an error; the gateway carries on", async () => {
  const clientHasFirst = latch();
  let connections = 0;
  await using dropping = rawUpstream(async (exchange) => {
    const first = ++connections === 1;
    await exchange.write(
      "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    await exchange.chunk(sseText([[null, '{"n":1}']]));
    if (first) {
      await clientHasFirst.promise;
      exchange.close(); // Mid-body: no terminating chunk.
      return;
    }
    await exchange.chunk(sseText([[null, "[DONE]"]]));
    await exchange.write("0\r\n\r\n");
  });
  await using backup = upstream(() => json(200, chatCompletion("backup")));
  await using gw = await startGateway({
    accounts: [
      { id: "dropping", upstream: `${dropping.url}/v1`, priority: 1 },
      { id: "backup", upstream: backup, priority: 2 },
    ],
  });
  using _ = openOnExit(clientHasFirst);

  const response = await within(
    gw.api("/v1/chat/completions", { json: chatRequest("hi", { stream: true }) }),
    "response headers",
  );
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  await readUntil(reader, '{"n":1}');
  clientHasFirst.resolve();
  await within(
    assert.rejects(async () => {
      for (;;) {
        const { done } = await reader.read();
        if (done) return; // A clean end would hide the drop: rejects() then fails.
      }
    }),
    "the client's stream to fail",
  );
  assert.equal(backup.hits.length, 0, "no failover once bytes reached the client");

  // The gateway keeps serving, the same account included.
  const next = await gw.api("/v1/chat/completions", { json: chatRequest("hi", { stream: true }) });
  assert.equal(next.status, 200);
  assert.equal(next.headers.get("x-switchyard-account"), "dropping");
  assert.equal(await next.text(), sseText([[null, '{"n":1}'], [null, "[DONE]"]]));
  assert.equal(connections, 2);
});
