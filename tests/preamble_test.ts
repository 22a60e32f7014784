import assert from "node:assert/strict";
import { json, sse, startMockUpstream } from "../scripts/support/mock_upstream.ts";
import { eventually, latch, within } from "./support/async.ts";
import { upstream } from "./support/upstream.ts";
import {
  adminAccounts,
  callApi,
  configDoc,
  SECRET,
  startGateway,
  tempKvPath,
} from "./support/gateway.ts";

const ev = (type: string, extra: Record<string, unknown> = {}) =>
  [type, JSON.stringify({ type, ...extra })] as [string, string];

Deno.test("preamble failover", async (t) => {
  const tmp = await tempKvPath();
  let firstScript: () => Response = () => json(200, {});
  const first = startMockUpstream(() => firstScript());
  const second = startMockUpstream((request) =>
    new URL(request.url).pathname === "/messages"
      ? sse([
        ev("message_start", { message: { id: "m2" } }),
        ev("content_block_start"),
        ev("message_stop"),
      ])
      : sse([
        ev("response.created"),
        ev("response.output_text.delta", { delta: "from-second" }),
        ev("response.completed"),
      ])
  );
  const doc = configDoc([
    { id: "first", platform: "openai", baseUrl: first.url, apiKey: "k1", priority: 1 },
    { id: "second", platform: "openai", baseUrl: second.url, apiKey: "k2", priority: 2 },
    { id: "claude-first", platform: "anthropic", baseUrl: first.url, apiKey: "k3", priority: 1 },
    { id: "claude-second", platform: "anthropic", baseUrl: second.url, apiKey: "k4", priority: 2 },
    // Each API on its own platform's accounts (failover across protocols: translation_test.ts).
  ], { group: { translate: false } });
  const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
  try {
    await t.step(
      "response.failed (usage limit) before content moves to the next account",
      async () => {
        firstScript = () =>
          sse([
            ev("response.created", { response: { id: "r1" } }),
            ev("response.failed", {
              response: {
                error: { code: "usage_limit_reached", message: "limit", resets_in_seconds: 3600 },
              },
            }),
          ]);
        const response = await callApi(gw.url, "/v1/responses", {
          json: { model: "m", stream: true },
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-switchyard-account"), "second");
        const text = await response.text();
        assert.match(text, /from-second/);
        assert.doesNotMatch(
          text,
          /r1/,
          "the first account's held preamble never reached the client",
        );
        const view = (await adminAccounts(gw.url)).find((v) => v.id === "first")!;
        assert.equal(view.state, "cooldown");
        assert.equal(view.reason, "quota");
        assert.equal(view.strikes, 0);
        await gw.gateway.states.reset("first");
      },
    );

    await t.step("Anthropic overloaded_error before content moves on", async () => {
      firstScript = () =>
        sse([
          ev("message_start", { message: { id: "m1" } }),
          [
            "error",
            JSON.stringify({
              type: "error",
              error: { type: "overloaded_error", message: "Overloaded" },
            }),
          ],
        ]);
      const response = await callApi(gw.url, "/v1/messages", {
        json: {
          model: "m",
          max_tokens: 5,
          stream: true,
          messages: [],
        },
      });
      assert.equal(response.headers.get("x-switchyard-account"), "claude-second");
      const text = await response.text();
      assert.match(text, /m2/);
      assert.doesNotMatch(text, /m1/);
      await gw.gateway.states.reset("claude-first");
    });

    await t.step(
      "once content flowed, the stream ends with the upstream's error event",
      async () => {
        firstScript = () =>
          sse([
            ev("response.created"),
            ev("response.output_text.delta", { delta: "partial" }),
            [
              "error",
              JSON.stringify({ type: "error", code: "rate_limit_exceeded", message: "late" }),
            ],
          ]);
        const before = second.hits.length;
        const response = await callApi(gw.url, "/v1/responses", {
          json: { model: "m", stream: true },
        });
        assert.equal(response.headers.get("x-switchyard-account"), "first");
        const text = await response.text();
        assert.match(text, /partial/);
        assert.match(text, /event: error\ndata: .*late/);
        assert.equal(second.hits.length, before, "no switch after content");
      },
    );

    await t.step(
      "a preamble error that is no failover signal reaches the client as is",
      async () => {
        firstScript = () =>
          sse([ev("response.created"), ev("error", { code: "invalid_prompt", message: "bad" })]);
        const response = await callApi(gw.url, "/v1/responses", {
          json: { model: "m", stream: true },
        });
        assert.equal(response.headers.get("x-switchyard-account"), "first");
        assert.match(await response.text(), /invalid_prompt/);
      },
    );
  } finally {
    await gw.close();
    await first.close();
    await second.close();
    await tmp.cleanup();
  }
});

Deno.test("a client that leaves while a stream's preamble is held costs the account nothing", async () => {
  const created = latch();
  const upstreamCancelled = latch();
  await using held = upstream(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          // The preamble only: no content follows until the gateway gives up on the stream.
          controller.enqueue(new TextEncoder().encode(
            'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1"}}\n\n',
          ));
          created.resolve();
        },
        cancel: () => upstreamCancelled.resolve(),
      }),
      { headers: { "content-type": "text/event-stream" } },
    )
  );
  await using gw = await startGateway({ accounts: [{ id: "a", upstream: held }] });
  const client = new AbortController();
  const answered = gw.api("/v1/responses", {
    json: { model: "m", input: "hi", stream: true },
    signal: client.signal,
  });
  await within(created.promise, "the upstream to send its preamble");
  // Give the gateway time to take the headers and start holding (a wait, not a measurement).
  await new Promise((resolve) => setTimeout(resolve, 200));
  client.abort();
  await assert.rejects(answered);
  await within(upstreamCancelled.promise, "the upstream's stream to be cancelled");
  await eventually(() => gw.log.length === 1, "the request's log line");
  assert.deepEqual(gw.log[0].attempts.map((attempt) => attempt.outcome), ["client-gone"]);
  assert.notEqual((await gw.account("a")).state, "cooldown");
});
