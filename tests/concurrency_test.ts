import assert from "node:assert/strict";
import { startMockUpstream } from "../scripts/support/mock_upstream.ts";
import { chatStream, sseResponse } from "./support/streams.ts";
import {
  ADMIN_TOKEN,
  callApi,
  CLIENT_KEY,
  configDoc,
  SECRET,
  startGateway,
  tempKvPath,
} from "./support/gateway.ts";
import { eventually, latch } from "./support/async.ts";
import { spawnGateway } from "./support/process.ts";
import { bothKvs } from "./support/shared_kv.ts";

/** An upstream whose streams stay open until `release` and that tracks requests in flight. */
function heldUpstream() {
  let release = latch();
  let active = 0;
  let maxActive = 0;
  const order: string[] = [];
  const server = startMockUpstream((_request, hit) => {
    const body = hit.body;
    active++;
    maxActive = Math.max(maxActive, active);
    order.push(`start:${JSON.parse(body || "{}").tag ?? "?"}`);
    const held = release.promise;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'));
        await held;
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
        active--;
      },
      cancel() {
        active--;
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  });
  return {
    server,
    order,
    maxActive: () => maxActive,
    active: () => active,
    open() {
      order.push("released");
      release.resolve();
      release = latch();
    },
  };
}

bothKvs("account concurrency holds across two gateway processes, queues, then 429s", async (kv) => {
  const upstream = heldUpstream();
  const configPath = `${kv.dir}/switchyard.json`;
  await Deno.writeTextFile(
    configPath,
    JSON.stringify(configDoc(
      [{
        id: "solo",
        platform: "openai",
        baseUrl: upstream.server.url,
        apiKey: "sk",
        concurrency: 1,
      }],
      { root: { queueTimeoutSeconds: 1 } },
    )),
  );
  const [p1, p2] = await Promise.all([
    spawnGateway(configPath, kv.location, kv.env),
    spawnGateway(configPath, kv.location, kv.env),
  ]);
  try {
    // Process 1 holds the only slot with an open stream.
    const holding = await callApi(p1.url, "/v1/chat/completions", {
      json: { tag: "p1", stream: true },
    });
    assert.equal(holding.status, 200);
    const reader = holding.body!.getReader();
    await reader.read();

    // Process 2 waits for the queue timeout, then gets 429 with Retry-After.
    const refused = await callApi(p2.url, "/v1/chat/completions", { json: { tag: "refused" } });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.equal((await refused.json()).error.type, "rate_limit_error");

    // Process 2 queues; the slot frees when process 1's stream ends, and it is served.
    const queued = callApi(p2.url, "/v1/chat/completions", { json: { tag: "queued" } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    upstream.open();
    while (!(await reader.read()).done) { /* drain */ }
    const served = await queued;
    assert.equal(served.status, 200);
    upstream.open();
    await served.text();
    assert.equal(upstream.maxActive(), 1, "never two requests in flight on the account");
    assert.deepEqual(upstream.order.slice(0, 3), ["start:p1", "released", "start:queued"]);
  } finally {
    upstream.open();
    await Promise.all([p1.stop(), p2.stop()]);
    await upstream.server.close();
  }
});

Deno.test("concurrency in one gateway", async (t) => {
  const tmp = await tempKvPath();
  const upstream = heldUpstream();
  const doc = configDoc(
    [
      {
        id: "busy",
        platform: "openai",
        baseUrl: upstream.server.url,
        apiKey: "sk",
        concurrency: 1,
        priority: 1,
      },
    ],
    { root: { queueTimeoutSeconds: 1 } },
  );
  const gw = await startGateway({
    config: doc,
    kvPath: tmp.path,
    secret: SECRET,
    tuning: { keepAliveMs: 100, queuePollMs: 20 },
  });
  const pool = gw.gateway;
  try {
    await t.step("an aborted stream releases its slot at once", async () => {
      const controller = new AbortController();
      const response = await callApi(gw.url, "/v1/chat/completions", {
        json: { stream: true },
        headers: {},
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      assert.equal(await pool.slots.inUse("account", "busy"), 1);
      controller.abort();
      await reader.cancel().catch(() => {});
      await eventually(async () => await pool.slots.inUse("account", "busy") === 0, "slot release");
    });

    await t.step(
      "a queued streaming request gets keep-alives, then a rate-limit error event",
      async () => {
        const holding = await callApi(gw.url, "/v1/chat/completions", { json: { stream: true } });
        const holder = holding.body!.getReader();
        await holder.read();
        const waiting = await callApi(gw.url, "/v1/chat/completions", { json: { stream: true } });
        assert.equal(waiting.status, 200);
        assert.equal(waiting.headers.get("content-type"), "text/event-stream");
        const text = await waiting.text();
        assert.match(text, /^: waiting for a free account slot\n\n/);
        assert.match(text, /: keep-alive\n\n/);
        assert.match(text, /event: error\ndata: .*rate_limit_error/);
        upstream.open();
        while (!(await holder.read()).done) { /* drain */ }
        await eventually(
          async () => await pool.slots.inUse("account", "busy") === 0,
          "slot release",
        );
      },
    );

    await t.step("a queued streaming request is served once the slot frees", async () => {
      const holding = await callApi(gw.url, "/v1/chat/completions", {
        json: { stream: true, tag: "h" },
      });
      const holder = holding.body!.getReader();
      await holder.read();
      const waiting = await callApi(gw.url, "/v1/chat/completions", {
        json: { stream: true, tag: "w" },
      });
      const reader = waiting.body!.pipeThrough(new TextDecoderStream()).getReader();
      const firstChunk = (await reader.read()).value ?? "";
      assert.match(firstChunk, /^: waiting/);
      upstream.open();
      while (!(await holder.read()).done) { /* drain */ }
      let rest = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += value;
        if (rest.includes('"hi"')) upstream.open();
      }
      assert.match(rest, /"content":"hi"/);
      assert.match(rest, /\[DONE\]/);
      await eventually(async () => await pool.slots.inUse("account", "busy") === 0, "slot release");
    });
  } finally {
    upstream.open();
    await gw.close();
    await upstream.server.close();
    await tmp.cleanup();
  }
});

Deno.test("key concurrency: a key over its limit waits, then gets 429", async () => {
  const tmp = await tempKvPath();
  const upstream = heldUpstream();
  const doc = configDoc(
    [{ id: "open", platform: "openai", baseUrl: upstream.server.url, apiKey: "sk" }],
    { key: { concurrency: 1 }, root: { queueTimeoutSeconds: 0.3 } },
  );
  const gw = await startGateway({
    config: doc,
    kvPath: tmp.path,
    secret: SECRET,
    tuning: { queuePollMs: 20 },
  });
  try {
    const holding = await callApi(gw.url, "/v1/chat/completions", { json: { stream: true } });
    const holder = holding.body!.getReader();
    await holder.read();
    const refused = await callApi(gw.url, "/v1/chat/completions", { json: { model: "m" } });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "1");
    await refused.body?.cancel();
    upstream.open();
    while (!(await holder.read()).done) { /* drain */ }
    await eventually(
      async () => await gw.gateway.slots.inUse("key", "tester") === 0,
      "key release",
    );
    const after = await callApi(gw.url, "/v1/chat/completions", { json: { model: "m" } });
    assert.equal(after.status, 200);
    upstream.open();
    await after.text();
  } finally {
    upstream.open();
    await gw.close();
    await upstream.server.close();
    await tmp.cleanup();
  }
});

Deno.test("a queued stream is metered like a direct one", async () => {
  const tmp = await tempKvPath();
  const holder = latch();
  const upstream = startMockUpstream((_request, hit) => {
    const body = JSON.parse(hit.body);
    if (body.tag === "hold") {
      // Holds the only slot; sends nothing that counts as tokens.
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode(": holding\n\n"));
          await holder.promise;
          controller.close();
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    }
    return sseResponse(chatStream(["one", "two", "three"], body.stream_options?.include_usage));
  });
  const doc = configDoc(
    [{ id: "solo", platform: "openai", baseUrl: upstream.url, apiKey: "sk", concurrency: 1 }],
    {
      root: {
        queueTimeoutSeconds: 30,
        keys: [
          { id: "holder", key: "sk-holder-0123456789", group: "team" },
          { id: "tester", key: CLIENT_KEY, group: "team", dailyTokens: 16 },
        ],
      },
    },
  );
  const gw = await startGateway({
    config: doc,
    kvPath: tmp.path,
    secret: SECRET,
    tuning: { keepAliveMs: 50, queuePollMs: 20 },
  });
  try {
    const holding = await callApi(gw.url, "/v1/chat/completions", {
      key: "sk-holder-0123456789",
      json: { tag: "hold", stream: true },
    });
    const held = holding.body!.getReader();
    await held.read();

    const waiting = await callApi(gw.url, "/v1/chat/completions", {
      json: { model: "m", stream: true },
    });
    assert.equal(waiting.headers.get("x-switchyard-queued"), "true");
    const reader = waiting.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value ?? "";
    assert.match(text, /^: waiting for a free account slot/);
    holder.resolve();
    while (!(await held.read()).done) { /* drain */ }
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    // The client did not ask for the usage chunk: it is stripped, as on a direct stream.
    assert.match(text, /"three"/);
    assert.ok(text.endsWith("data: [DONE]\n\n"));
    assert.ok(!text.includes('"usage":{'), "the usage chunk reached a client that did not ask");

    await eventually(
      () => gw.log.some((entry) => entry.key === "tester" && entry.end),
      "the log line",
    );
    const entry = gw.log.find((each) => each.key === "tester")!;
    assert.deepEqual(entry.tokens, { input: 13, output: 3, cached: 3 });
    assert.equal(entry.model, "gpt-chat");
    assert.equal(entry.end, "complete");
    assert.equal(entry.outcome, "success");
    assert.deepEqual(entry.attempts.map((a) => [a.account, a.outcome]), [["solo", "success"]]);

    const usage = await fetch(`${gw.url}/admin/usage?by=account`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.deepEqual((await usage.json()).rows, [
      { account: "solo", input: 13, output: 3, cached: 3, requests: 1, costUsd: 0, costMicros: 0 },
    ]);
    const metrics = await (await fetch(`${gw.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })).text();
    assert.match(metrics, /switchyard_tokens_total\{key="tester",type="input"\} 13\n/);
    assert.match(metrics, /switchyard_tokens_total\{key="tester",type="output"\} 3\n/);

    // 16 tokens used: the key's dailyTokens are spent.
    const refused = await callApi(gw.url, "/v1/chat/completions", { json: { model: "m" } });
    assert.equal(refused.status, 429);
    assert.match((await refused.json()).error.message, /dailyTokens|tokens for today/);
  } finally {
    holder.resolve();
    await gw.close();
    await upstream.close();
    await tmp.cleanup();
  }
});
