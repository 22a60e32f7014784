import assert from "node:assert/strict";
import {
  CHAT_USAGE,
  MESSAGES_USAGE,
  pricedAnswer,
  RESPONSES_USAGE,
} from "./support/priced_mocks.ts";
import { readJson, startGateway } from "./support/gateway.ts";
import { upstream } from "./support/upstream.ts";

/** USD per 1M tokens, i.e. micro-dollars per token. */
const PRICING = {
  "m-chat": { input: 1.25, output: 10, cachedInput: 0.125 },
  "m-resp": { input: 2, output: 8, cachedInput: 0.5, reasoning: 4 },
  "m-claude": { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 },
};

/** Each upstream answer's cost, worked out by hand from the counts in priced_mocks.ts. */
const EXPECTED: Record<string, number> = {
  // 800 uncached × 1.25 + 200 cached × 0.125 + 300 output (100 of them reasoning) × 10
  "/chat/completions": 800 * 1.25 + 200 * 0.125 + 300 * 10,
  // 1000 uncached × 2 + 1000 cached × 0.5 + 380 output × 8 + 120 reasoning × 4
  "/responses": 1000 * 2 + 1000 * 0.5 + 380 * 8 + 120 * 4,
  // 100 × 3 + 2000 read × 0.3 + 600 5-minute writes × 3.75 + 400 1-hour writes × 6 + 50 × 15
  "/messages": 100 * 3 + 2000 * 0.3 + 600 * 3.75 + 400 * 6 + 50 * 15,
};

const REQUESTS = {
  chat: ["/v1/chat/completions", { model: "m-chat", messages: [{ role: "user", content: "hi" }] }],
  resp: ["/v1/responses", { model: "m-resp", input: "hi" }],
  msg: [
    "/v1/messages",
    { model: "m-claude", max_tokens: 50, messages: [{ role: "user", content: "hi" }] },
  ],
} as const;

/** [key, group, client API, stream]. */
const CASES: [string, string, keyof typeof REQUESTS, boolean][] = [];
for (const stream of [false, true]) {
  const suffix = stream ? "sse" : "json";
  for (const api of ["chat", "resp", "msg"] as const) {
    CASES.push([`${api}-${suffix}`, "native", api, stream]);
  }
  CASES.push([`chat-to-anth-${suffix}`, "to-anth", "chat", stream]);
  CASES.push([`resp-to-anth-${suffix}`, "to-anth", "resp", stream]);
  CASES.push([`msg-to-oa-${suffix}`, "to-oa", "msg", stream]);
}

interface Row {
  key?: string;
  model?: string;
  group?: string;
  costUsd: number;
  costMicros: number;
  unpriced?: boolean;
}

Deno.test("each answer's cost is its tokens × price, streamed or not, translated or not", async (t) => {
  const hits = new Map<string, string>();
  await using mock = upstream((request, hit) => {
    hits.set(
      request.headers.get("idempotency-key") ?? "",
      new URL(request.url).pathname.replace(/^\/v1/, ""),
    );
    return pricedAnswer(request, hit);
  });
  await using h = await startGateway({
    usageFlushMs: 60_000,
    config: {
      pricing: PRICING,
      accounts: [
        { id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa" },
        { id: "an", platform: "anthropic", baseUrl: `${mock.url}/v1`, apiKey: "sk-an" },
      ],
      groups: [
        { id: "native", accounts: ["oa", "an"] },
        { id: "to-anth", accounts: ["an"] },
        { id: "to-oa", accounts: ["oa"] },
      ],
      keys: [...CASES.map(([key, group]) => ({ id: key, key: `key-${key}-0123456789`, group })), {
        id: "after",
        key: "key-after-0123456789",
        group: "native",
      }],
    },
  });
  const call = async (key: string, api: keyof typeof REQUESTS, stream: boolean, model?: string) => {
    const [path, body] = REQUESTS[api];
    const headers: Record<string, string> = { "idempotency-key": key };
    if (model) headers["x-stainless-model"] = model;
    const response = await h.api(path, {
      key: `key-${key}-0123456789`,
      json: { ...body, stream },
      headers,
    });
    const text = await response.text();
    assert.equal(response.status, 200, `${key}: ${text}`);
  };
  const rows = async (by: string) =>
    (await readJson<{ rows: Row[] }>(await h.admin(`/admin/usage?by=${by}`))).rows;

  await t.step("every format, both ways, at the upstream's counts", async () => {
    for (const [key, , api, stream] of CASES) await call(key, api, stream);
    const byKey = Object.fromEntries((await rows("key")).map((row) => [row.key, row]));
    for (const [key] of CASES) {
      const path = hits.get(key);
      assert.ok(path && path in EXPECTED, `${key} reached ${path}`);
      assert.equal(byKey[key].costMicros, EXPECTED[path], `${key} via ${path}`);
      assert.equal(byKey[key].costUsd, EXPECTED[path] / 1_000_000, key);
    }
    // The translated cases did cross over.
    assert.equal(hits.get("chat-to-anth-sse"), "/messages");
    assert.notEqual(hits.get("msg-to-oa-json"), "/messages");
    // Usage shapes, for the record: the costs above are not all equal.
    assert.ok(CHAT_USAGE && RESPONSES_USAGE && MESSAGES_USAGE);
  });

  await t.step("rows by group sum their keys' costs", async () => {
    const byGroup = Object.fromEntries((await rows("group")).map((row) => [row.group, row]));
    const sum = (group: string) =>
      CASES.filter(([, g]) => g === group).reduce(
        (total, [key]) => total + EXPECTED[hits.get(key)!],
        0,
      );
    for (const group of ["native", "to-anth", "to-oa"]) {
      assert.equal(byGroup[group].costMicros, sum(group), group);
    }
  });

  await t.step("the cost metric carries key, account and the priced model", async () => {
    const text = await (await h.admin("/metrics")).text();
    assert.match(
      text,
      /switchyard_cost_usd_total\{key="chat-json",account="oa",model="m-chat"\} 0\.004025\n/,
    );
    assert.match(
      text,
      /switchyard_cost_usd_total\{key="chat-to-anth-sse",account="an",model="m-claude"\} 0\.0063\n/,
    );
  });

  await t.step("a price change applies to later requests only", async () => {
    const put = await h.admin("/admin/pricing", {
      method: "PUT",
      json: { pricing: { ...PRICING, "m-chat": { input: 2.5, output: 20, cachedInput: 0.25 } } },
    });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal((await readJson<{ source: string }>(put)).source, "api");
    await call("after", "chat", true);
    const byKey = Object.fromEntries((await rows("key")).map((row) => [row.key, row]));
    assert.equal(byKey.after.costMicros, 2 * EXPECTED["/chat/completions"]);
    assert.equal(byKey["chat-sse"].costMicros, EXPECTED["/chat/completions"]);
  });

  await t.step("a model without a price costs 0, flagged in usage and metrics", async () => {
    await call("after", "chat", false, "mystery-model");
    const models = await rows("model");
    const mystery = models.find((row) => row.model?.startsWith("mystery-model"));
    assert.ok(mystery, models.map((row) => row.model).join(", "));
    assert.equal(mystery.costMicros, 0);
    assert.equal(mystery.unpriced, true);
    assert.equal(models.find((row) => row.model === "m-claude")?.unpriced, undefined);
    const text = await (await h.admin("/metrics")).text();
    assert.match(text, /switchyard_unpriced_requests_total\{model="mystery-model"\} 1\n/);
  });
});
