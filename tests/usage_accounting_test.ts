import assert from "node:assert/strict";
import {
  anthropicMessage,
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../scripts/support/mock_upstream.ts";
import { WHOLE_ANSWER_LIMIT } from "../lib/failover/success.ts";
import { utcDay } from "../lib/usage/recorder.ts";
import { anthropicStream, chatStream, responsesStream, sseResponse } from "./support/streams.ts";
import { eventually } from "./support/async.ts";
import { upstream as testUpstream } from "./support/upstream.ts";
import { callApi, readJson, SECRET, startGateway } from "./support/gateway.ts";

interface Row {
  key?: string;
  account?: string;
  model?: string;
  input: number;
  output: number;
  cached: number;
  requests: number;
  costUsd: number;
  costMicros: number;
}

const KEYS = [
  "json",
  "chat",
  "chat-asked",
  "pass",
  "resp",
  "anth",
  "anth-json",
  "abort-anth",
  "abort-chat",
];

Deno.test("usage is counted from every response format, aborted streams included", async (t) => {
  const bodies: Record<string, string> = {};
  const upstream = startMockUpstream((request, hit) => {
    // The scenario travels in a header every platform's account is sent (`lib/http/headers.ts`).
    const scenario = request.headers.get("idempotency-key") ?? "";
    bodies[scenario] = hit.body;
    const body = hit.body ? JSON.parse(hit.body) : {};
    const stall = scenario.startsWith("abort");
    if (hit.path === "/messages") {
      if (!body.stream) return mockJson(200, anthropicMessage("hi"));
      return sseResponse(anthropicStream(["a", "b", "c", "d"], { finish: !stall }), { stall });
    }
    if (hit.path === "/responses") return sseResponse(responsesStream(["x", "y"]));
    if (!body.stream) return mockJson(200, chatCompletion("hi"));
    const words = ["one", "two", "three", ...(stall ? ["four"] : [])];
    return sseResponse(chatStream(words, body.stream_options?.include_usage === true && !stall), {
      stall,
    });
  });
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      accounts: [
        { id: "oa-std", platform: "openai", baseUrl: upstream.url, apiKey: "sk-1" },
        {
          id: "oa-pass",
          platform: "openai",
          passthrough: true,
          baseUrl: upstream.url,
          apiKey: "sk-2",
        },
        { id: "an-1", platform: "anthropic", baseUrl: upstream.url, apiKey: "sk-3" },
      ],
      groups: [
        { id: "std", accounts: ["oa-std", "an-1"] },
        { id: "pass", accounts: ["oa-pass"] },
      ],
      keys: KEYS.map((id) => ({
        id,
        key: `key-${id}-0123456789`,
        group: id === "pass" ? "pass" : "std",
      })),
    },
  });
  const call = (id: string, path: string, body: unknown) =>
    callApi(h.url, path, {
      key: `key-${id}-0123456789`,
      json: body,
      headers: { "idempotency-key": id },
    });

  try {
    await t.step("non-streaming JSON usage", async () => {
      await (await call("json", "/v1/chat/completions", { model: "gpt-test", messages: [] }))
        .text();
      await (await call("anth-json", "/v1/messages", { model: "claude-test", max_tokens: 5 }))
        .text();
    });

    await t.step(
      "standard mode asks for the chat usage chunk and strips it for the client",
      async () => {
        const text =
          await (await call("chat", "/v1/chat/completions", { model: "m", stream: true })).text();
        assert.equal(JSON.parse(bodies.chat).stream_options.include_usage, true);
        assert.ok(!text.includes('"usage":{'), "the usage chunk reached a client that did not ask");
        assert.ok(text.includes("three"));
        assert.ok(text.trimEnd().endsWith("data: [DONE]"));
      },
    );

    await t.step("a client that asked for the usage chunk keeps it", async () => {
      const request = { model: "m", stream: true, stream_options: { include_usage: true } };
      const text = await (await call("chat-asked", "/v1/chat/completions", request)).text();
      assert.ok(text.includes('"usage":{"prompt_tokens":13'));
    });

    await t.step("passthrough accounts get the client's bytes unchanged", async () => {
      const raw = '{"model":"m",  "stream":true}';
      const response = await fetch(`${h.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer key-pass-0123456789", "idempotency-key": "pass" },
        body: raw,
      });
      await response.text();
      assert.equal(bodies.pass, raw);
    });

    await t.step(
      "Responses response.completed and Anthropic message_start/message_delta",
      async () => {
        await (await call("resp", "/v1/responses", { model: "gpt-resp", stream: true })).text();
        await (await call("anth", "/v1/messages", { model: "claude-test", stream: true })).text();
      },
    );

    await t.step(
      "a client that disconnects mid-stream still has its streamed tokens counted",
      async () => {
        for (
          const [id, path, marker] of [
            ["abort-anth", "/v1/messages", "text_delta"],
            ["abort-chat", "/v1/chat/completions", "four"],
          ]
        ) {
          const response = await call(id, path, { model: "m", stream: true });
          const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
          let seen = "";
          while (
            !(id === "abort-anth" ? seen.split(marker).length - 1 >= 4 : seen.includes(marker))
          ) {
            const { value, done } = await reader.read();
            if (done) throw new Error("stream ended before the stall");
            seen += value;
          }
          await reader.cancel();
          const entry = await eventually(() => h.log.find((log) => log.key === id));
          assert.equal(entry.end, "aborted");
          assert.equal(entry.outcome, "aborted");
        }
      },
    );

    await t.step("GET /admin/usage?by=key has each format's totals", async () => {
      const day = utcDay(Date.now());
      const response = await h.admin(`/admin/usage?from=${day}&to=${day}&by=key`);
      assert.equal(response.status, 200);
      const body = await readJson<{ rows: Row[]; totals: Row }>(response);
      const byKey = Object.fromEntries(
        // Unpriced test models: cost 0 (tests/cost_test.ts checks priced ones).
        body.rows.map(({ key, costUsd, costMicros, ...counts }) => {
          assert.equal(costUsd, 0);
          assert.equal(costMicros, 0);
          return [key, counts];
        }),
      );
      assert.deepEqual(byKey, {
        json: { input: 5, output: 7, cached: 0, requests: 1 },
        "anth-json": { input: 5, output: 7, cached: 0, requests: 1 },
        chat: { input: 13, output: 3, cached: 3, requests: 1 },
        "chat-asked": { input: 13, output: 3, cached: 3, requests: 1 },
        // No usage chunk was asked for: the streamed deltas are the estimate.
        pass: { input: 0, output: 3, cached: 0, requests: 1 },
        resp: { input: 11, output: 6, cached: 4, requests: 1 },
        anth: { input: 30, output: 9, cached: 8, requests: 1 },
        "abort-anth": { input: 30, output: 4, cached: 8, requests: 1 },
        "abort-chat": { input: 0, output: 4, cached: 0, requests: 1 },
      });
      assert.equal(body.totals.requests, 9);
    });

    await t.step("by=model and by=account group the same totals", async () => {
      const models = await readJson<{ rows: Row[] }>(await h.admin("/admin/usage?by=model"));
      const byModel = Object.fromEntries(models.rows.map((row) => [row.model, row.requests]));
      assert.equal(byModel["gpt-resp"], 1);
      assert.equal(byModel["claude-test"], 3);
      assert.equal(byModel["gpt-chat"], 4);
      const accounts = await readJson<{ rows: Row[] }>(await h.admin("/admin/usage?by=account"));
      const byAccount = Object.fromEntries(accounts.rows.map((row) => [row.account, row.input]));
      assert.deepEqual(byAccount, { "an-1": 65, "oa-std": 42, "oa-pass": 0 });
    });

    await t.step("usage totals persist in KV after a flush", async () => {
      await h.gateway.usage.flush();
      const entry = await h.kv.get<Deno.KvU64>([
        "switchyard",
        "usage-key",
        utcDay(Date.now()),
        "anth",
      ]);
      assert.equal(entry.value?.value, 39n);
    });

    await t.step("bad usage queries get a 400 naming the parameter", async () => {
      for (
        const [query, param] of [["by=team", "by"], ["from=yesterday", "from"], [
          "from=2025-01-02&to=2025-01-01",
          "to",
        ]]
      ) {
        const response = await h.admin(`/admin/usage?${query}`);
        assert.equal(response.status, 400);
        assert.equal((await readJson<{ error: { param: string } }>(response)).error.param, param);
      }
    });
  } finally {
    await h.close();
    await upstream.close();
  }
});

Deno.test("a JSON answer past the whole-answer limit streams on, byte for byte, its usage counted", async () => {
  const padding = "x".repeat(WHOLE_ANSWER_LIMIT + 1024);
  const body = JSON.stringify({
    id: "chatcmpl-big",
    object: "chat.completion",
    model: "gpt-big",
    choices: [{ index: 0, message: { role: "assistant", content: padding } }],
    usage: { prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 },
  });
  const bytes = new TextEncoder().encode(body);
  await using upstream = testUpstream(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          // Uneven pieces, as a real upstream's body arrives.
          for (let at = 0; at < bytes.byteLength; at += 65_537) {
            controller.enqueue(bytes.slice(at, at + 65_537));
          }
          controller.close();
        },
      }),
      { headers: { "content-type": "application/json" } },
    )
  );
  await using gw = await startGateway({ accounts: [{ id: "a", upstream }] });
  const response = await gw.api("/v1/chat/completions", {
    json: { model: "gpt-big", messages: [] },
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), body);
  await eventually(() => gw.log.length === 1, "the request's log line");
  assert.deepEqual(gw.log[0].tokens, { input: 7, output: 11, cached: 0 });
});
