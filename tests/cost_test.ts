import assert from "node:assert/strict";
import {
  CHAT_USAGE,
  MESSAGES_USAGE,
  pricedAnswer,
  RESPONSES_USAGE,
} from "./support/priced_mocks.ts";
import { eventually } from "./support/async.ts";
import {
  ADMIN_TOKEN,
  callApi,
  configDocument,
  readJson,
  SECRET,
  startGateway,
  tempKvPath,
  type TestGateway,
} from "./support/gateway.ts";
import { startMainProcess } from "./support/process.ts";
import { bothKvs, seenOnRemote } from "./support/shared_kv.ts";
import { codexAccount } from "./support/protocol_mocks.ts";
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

  await t.step("the mark is recorded with the cost: a price set later keeps it, at 0", async () => {
    const put = await h.admin("/admin/pricing", {
      method: "PUT",
      json: { pricing: { ...PRICING, "mystery-model": PRICING["m-chat"] } },
    });
    assert.equal(put.status, 200, await put.text());
    const mystery = (await rows("model")).find((row) => row.model?.startsWith("mystery-model"));
    assert.equal(mystery?.unpriced, true);
    assert.equal(mystery?.costMicros, 0);
    // A priced request of the same model adds its cost; the row still says part of it had none.
    await call("after", "chat", false, "mystery-model");
    const later = (await rows("model")).find((row) => row.model === mystery?.model);
    assert.equal(later?.costMicros, EXPECTED["/chat/completions"]);
    assert.equal(later?.unpriced, true);
  });
});

Deno.test("a subscription (OAuth) account's rows by account are marked, at the API-equivalent cost", async () => {
  await using mock = upstream(pricedAnswer);
  await using h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      pricing: PRICING,
      accounts: [
        codexAccount("codex", `${mock.url}/backend-api/codex`, { priority: 1 }),
        { id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa", priority: 2 },
      ],
      groups: [{ id: "sub", accounts: ["codex"] }, { id: "api", accounts: ["oa"] }],
      keys: [
        { id: "on-sub", key: "key-on-sub-0123456789", group: "sub" },
        { id: "on-api", key: "key-on-api-0123456789", group: "api" },
      ],
    },
  });
  for (const key of ["on-sub", "on-api"]) {
    const response = await h.api("/v1/responses", {
      key: `key-${key}-0123456789`,
      json: { model: "m-resp", input: "hi", stream: true },
    });
    assert.equal(response.status, 200, await response.text());
  }
  const { rows } = await readJson<{ rows: (Row & { account: string; subscription?: true })[] }>(
    await h.admin("/admin/usage?by=account"),
  );
  const byAccount = Object.fromEntries(rows.map((row) => [row.account, row]));
  assert.equal(byAccount.codex.subscription, true);
  assert.equal(byAccount.codex.costMicros, EXPECTED["/responses"]);
  assert.equal(byAccount.oa.subscription, undefined);
  assert.equal(byAccount.oa.costMicros, EXPECTED["/responses"]);
});

Deno.test("a model without a price is warned about once per model, on the process's stderr", async () => {
  await using mock = upstream(pricedAnswer);
  const kv = await tempKvPath();
  try {
    const config = configDocument({
      accounts: [{ id: "oa", upstream: mock }],
      keys: [{ id: "ci", key: "key-ci-0123456789", group: "team" }],
    });
    config.pricing = PRICING;
    await using gateway = await startMainProcess({
      SWITCHYARD_CONFIG_JSON: JSON.stringify(config),
      SWITCHYARD_KV: kv.path,
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    const chat = async (model: string) => {
      const response = await callApi(gateway.url, "/v1/chat/completions", {
        key: "key-ci-0123456789",
        json: REQUESTS.chat[1],
        headers: { "x-stainless-model": model },
      });
      assert.equal(response.status, 200, await response.text());
    };
    const warnings = (model: string) =>
      gateway.stderr().split("\n").filter((line) =>
        line.includes("model has no price") && line.includes(`"model":"${model}"`)
      );
    await chat("mystery-model");
    await chat("mystery-model");
    await chat("m-chat"); // priced: no warning
    await chat("other-mystery");
    // Lines reach stderr in order: once the last model's line is there, the others' are too.
    await eventually(() => warnings("other-mystery").length === 1, "the second model's warning");
    assert.equal(warnings("mystery-model").length, 1, gateway.stderr());
    assert.equal(warnings("m-chat").length, 0);
    const metrics = await (await fetch(`${gateway.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })).text();
    assert.match(metrics, /switchyard_unpriced_requests_total\{model="mystery-model"\} 2\n/);
  } finally {
    await kv.cleanup();
  }
});

bothKvs(
  "a price set on one gateway prices the other's next request; DELETE goes back to the config's",
  async (kv) => {
    await using mock = upstream(pricedAnswer);
    const spec = {
      usageFlushMs: 60_000,
      kvPath: kv.location,
      config: {
        pricing: { "m-chat": PRICING["m-chat"] },
        accounts: [{ id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa" }],
        groups: [{ id: "team", accounts: ["oa"] }],
        keys: ["one", "two", "three"].map((id) => ({
          id,
          key: `key-${id}-0123456789`,
          group: "team",
        })),
      },
    };
    await using a = await startGateway(spec);
    await using b = await startGateway(spec);
    /** The cost of one chat answer through `gateway` for `key`, read back from its usage. */
    const cost = async (gateway: TestGateway, key: string) => {
      const response = await gateway.api("/v1/chat/completions", {
        key: `key-${key}-0123456789`,
        json: REQUESTS.chat[1],
      });
      assert.equal(response.status, 200, await response.text());
      const { rows } = await readJson<{ rows: Row[] }>(await gateway.admin("/admin/usage?by=key"));
      return rows.find((row) => row.key === key)?.costMicros;
    };
    const source = async (gateway: TestGateway) =>
      (await readJson<{ source: string }>(await gateway.admin("/admin/pricing"))).source;
    const doubled = { input: 2.5, output: 20, cachedInput: 0.25 };
    const put = await a.admin("/admin/pricing", { method: "PUT", json: { "m-chat": doubled } });
    assert.equal(put.status, 200, await put.clone().text());
    await put.body?.cancel();
    await seenOnRemote(kv, async () => await source(b) === "api", "B's watch delivering the PUT");
    assert.equal(await cost(b, "one"), 2 * EXPECTED["/chat/completions"]);
    const reset = await b.admin("/admin/pricing", { method: "DELETE" });
    assert.equal(reset.status, 200);
    const view = await readJson<{ source: string; pricing: unknown }>(reset);
    assert.deepEqual([view.source, view.pricing], ["config", { "m-chat": PRICING["m-chat"] }]);
    await seenOnRemote(
      kv,
      async () => await source(a) === "config",
      "A's watch delivering the DELETE",
    );
    assert.equal(await cost(a, "two"), EXPECTED["/chat/completions"]);
    assert.equal(await cost(b, "three"), EXPECTED["/chat/completions"]);
  },
);
