import assert from "node:assert/strict";
import {
  anthropicMessage,
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../scripts/support/mock_upstream.ts";
import { callApi, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { bothKvs } from "./support/shared_kv.ts";

/** Waits out the last seconds of a UTC minute, so a fixed-window count cannot reset mid-test. */
async function awayFromMinuteEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_050 - intoMinute));
}

function config(upstreamUrl: string) {
  return {
    accounts: [
      { id: "oa", platform: "openai", baseUrl: upstreamUrl, apiKey: "sk-1" },
      { id: "an", platform: "anthropic", baseUrl: upstreamUrl, apiKey: "sk-2" },
    ],
    groups: [{ id: "team", accounts: ["oa", "an"] }],
    keys: [
      { id: "free", key: "free-key-0123456789", group: "team" },
      { id: "capped", key: "capped-key-0123456789", group: "team", dailyTokens: 10 },
    ],
  };
}

/** A mock upstream answering Chat and Messages, and two gateways sharing the KV at `location`. */
async function twoGateways(location: string) {
  const upstream = startMockUpstream((_request, hit) =>
    hit.path === "/messages"
      ? mockJson(200, anthropicMessage("hi"))
      : mockJson(200, chatCompletion("hi"))
  );
  const gateway = (kvPath: string) =>
    startGateway({ kvPath, secret: SECRET, usageFlushMs: 60_000, config: config(upstream.url) });
  const one = await gateway(location);
  const two = await gateway(one.kvPath);
  return { upstream, one, two };
}

bothKvs(
  "rpm is shared across processes and answers 429 with Retry-After in the surface's shape",
  async (kv) => {
    const { upstream, one, two } = await twoGateways(kv.location);
    try {
      await awayFromMinuteEdge();
      const created = await readJson(
        await one.admin("/admin/keys", {
          method: "POST",
          json: { id: "rpm2", group: "team", rpm: 2 },
        }),
      );
      const secret = created.key as string;
      const first = await callApi(one.url, "/v1/chat/completions", {
        key: secret,
        json: { model: "m" },
      });
      assert.equal(first.status, 200);
      await first.body?.cancel();
      const second = await callApi(two.url, "/v1/chat/completions", {
        key: secret,
        json: { model: "m" },
      });
      assert.equal(second.status, 200);
      await second.body?.cancel();
      const hits = upstream.hits.length;

      const openai = await callApi(one.url, "/v1/chat/completions", {
        key: secret,
        json: { model: "m" },
      });
      assert.equal(openai.status, 429);
      const retryAfter = Number(openai.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
      const openaiError = await readJson<{ error: { type: string; message: string } }>(openai);
      assert.equal(openaiError.error.type, "rate_limit_error");
      assert.match(openaiError.error.message, /2 requests per minute/);

      const anthropic = await callApi(two.url, "/v1/messages", {
        key: secret,
        json: { model: "c", max_tokens: 1 },
      });
      assert.equal(anthropic.status, 429);
      assert.ok(anthropic.headers.get("retry-after"));
      const anthropicError = await readJson<{ type: string; error: { type: string } }>(anthropic);
      assert.equal(anthropicError.type, "error");
      assert.equal(anthropicError.error.type, "rate_limit_error");
      assert.equal(upstream.hits.length, hits, "a refused request reached an upstream");

      // Keys without limits never touch the limit counters.
      for (let i = 0; i < 3; i++) {
        const response = await callApi(one.url, "/v1/chat/completions", {
          key: "free-key-0123456789",
          json: {},
        });
        assert.equal(response.status, 200);
        await response.body?.cancel();
      }
      const counters = await Array.fromAsync(one.kv.list({ prefix: ["switchyard", "rpm"] }));
      assert.deepEqual(counters.map((entry) => entry.key[2]), ["rpm2"]);
    } finally {
      await two.close();
      await one.close();
      await upstream.close();
    }
  },
);

bothKvs("dailyTokens refuses a key that used its tokens today, in every process", async (kv) => {
  const { upstream, one, two } = await twoGateways(kv.location);
  try {
    // 12 tokens (5 in + 7 out): under the limit before the request, over it after.
    const first = await callApi(one.url, "/v1/chat/completions", {
      key: "capped-key-0123456789",
      json: {},
    });
    assert.equal(first.status, 200);
    await first.text();

    const same = await callApi(one.url, "/v1/messages", {
      key: "capped-key-0123456789",
      json: { max_tokens: 1 },
    });
    assert.equal(same.status, 429);
    const retryAfter = Number(same.headers.get("retry-after"));
    const secondsToMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    assert.ok(retryAfter >= 1 && retryAfter <= secondsToMidnight + 1, `retry-after ${retryAfter}`);
    const error = await readJson<{ type: string; error: { type: string; message: string } }>(same);
    assert.equal(error.error.type, "rate_limit_error");
    assert.match(error.error.message, /10 tokens for today/);

    // The other process sees the total once the first has flushed its batch.
    await one.gateway.usage.flush();
    const other = await callApi(two.url, "/v1/chat/completions", {
      key: "capped-key-0123456789",
      json: {},
    });
    assert.equal(other.status, 429);
    assert.equal(
      (await readJson<{ error: { type: string } }>(other)).error.type,
      "rate_limit_error",
    );

    const free = await callApi(two.url, "/v1/chat/completions", {
      key: "free-key-0123456789",
      json: {},
    });
    assert.equal(free.status, 200);
    await free.body?.cancel();
  } finally {
    await two.close();
    await one.close();
    await upstream.close();
  }
});
