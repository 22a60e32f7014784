/**
 * Budgets over real sockets: a key's daily budget refuses with 429 and
 * `Retry-After` once spent and lets requests through in the next window (an
 * injected clock, no sleeping); management API, rolling 5h; a group budget
 * across two gateway processes on one KV file.
 */

import assert from "node:assert/strict";
import { ADMIN_TOKEN, configDocument, readJson, startGateway } from "./support/gateway.ts";
import { eventually } from "./support/async.ts";
import { pricedAnswer } from "./support/priced_mocks.ts";
import { startMainProcess } from "./support/process.ts";
import { bothKvs } from "./support/shared_kv.ts";
import { upstream } from "./support/upstream.ts";
import { webhookReceiver } from "./support/webhook.ts";

/** One chat answer of priced_mocks.ts at these prices: 4025 micro-dollars. */
const PRICING = { "m-chat": { input: 1.25, output: 10, cachedInput: 0.125 } };
const PER_REQUEST = 4025;
const HOOK_SECRET = "whsec-budget-0123456789";
const CHAT = { model: "m-chat", messages: [{ role: "user", content: "hi" }] };
const MESSAGES = { model: "m-chat", max_tokens: 5, messages: [{ role: "user", content: "hi" }] };

Deno.test("a key's daily budget refuses with 429 + Retry-After once spent, and resets the next UTC day", async (t) => {
  await using mock = upstream(pricedAnswer);
  let now = Date.UTC(2026, 11, 6, 18, 0, 0);
  await using h = await startGateway({
    usageFlushMs: 60_000,
    tuning: { now: () => now },
    config: {
      pricing: PRICING,
      accounts: [
        { id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa" },
        { id: "an", platform: "anthropic", baseUrl: `${mock.url}/v1`, apiKey: "sk-an" },
      ],
      groups: [{ id: "team", accounts: ["oa", "an"] }],
      keys: [
        // 0.01 $ a day: the third request (8050 µ$ spent before it) passes, the fourth does not.
        { id: "ci", key: "key-ci-0123456789", group: "team", budgets: [{ usd: 0.01, per: "day" }] },
        { id: "free", key: "key-free-0123456789", group: "team" },
      ],
    },
  });
  const chat = (key = "ci") =>
    h.api("/v1/chat/completions", { key: `key-${key}-0123456789`, json: CHAT });

  await t.step(
    "requests pass until the budget is spent, then 429 before any upstream call",
    async () => {
      for (let i = 0; i < 3; i++) {
        const response = await chat();
        assert.equal(response.status, 200, await response.text());
      }
      const hits = mock.hits.length;
      const refused = await chat();
      assert.equal(refused.status, 429);
      // 18:00 UTC: six hours to the next UTC day.
      assert.equal(refused.headers.get("retry-after"), String(6 * 3600));
      const body = await readJson<{ error: Record<string, unknown> }>(refused);
      const { message, ...rest } = body.error;
      assert.match(String(message), /key "ci" has spent its daily \(UTC\) budget of \$0\.01/);
      assert.match(String(message), /resets at 2026-12-07T00:00:00\.000Z/);
      // OpenAI's shape of a 429 (lib/http/errors.ts), exactly.
      assert.deepEqual(rest, {
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      });
      assert.equal(mock.hits.length, hits, "a refused request reached the upstream");
      // In the Anthropic shape for a Messages client.
      const messages = await h.api("/v1/messages", { key: "key-ci-0123456789", json: MESSAGES });
      assert.equal(messages.status, 429);
      assert.equal(messages.headers.get("retry-after"), String(6 * 3600));
      const anthropic = await readJson<{ type: string; error: { message: string; type: string } }>(
        messages,
      );
      assert.equal(anthropic.type, "error");
      assert.equal(anthropic.error.type, "rate_limit_error");
      assert.match(anthropic.error.message, /daily \(UTC\) budget/);
      // Other keys are not affected.
      assert.equal((await chat("free")).status, 200);
    },
  );

  await t.step("the budgets endpoint shows the spend and the reset", async () => {
    const { budgets } = await readJson<{ budgets: Record<string, unknown>[] }>(
      await h.admin("/admin/budgets"),
    );
    assert.deepEqual(budgets, [{
      scope: "key",
      id: "ci",
      usd: 0.01,
      per: "day",
      spentUsd: 3 * PER_REQUEST / 1_000_000,
      resetsAt: "2026-12-07T00:00:00.000Z",
    }]);
  });

  await t.step("the next UTC day lets requests through again", async () => {
    now = Date.UTC(2026, 11, 6, 23, 59, 59);
    assert.equal((await chat()).status, 429);
    now = Date.UTC(2026, 11, 7, 0, 0, 1);
    const response = await chat();
    assert.equal(response.status, 200, await response.text());
  });

  await t.step("a budget set through the management API applies to the next request", async () => {
    const put = await h.admin("/admin/keys/free", {
      method: "PUT",
      json: { budgets: [{ usd: 0.004, per: "5h", alertAt: 0.5 }] },
    });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal((await chat("free")).status, 200); // 4025 µ$ of 4000 spent now
    const refused = await chat("free");
    assert.equal(refused.status, 429);
    // The rolling window frees that spend 5 hours after its 5-minute bucket began.
    const bucketStart = Math.floor(now / 300_000) * 300_000;
    const retry = Math.ceil((bucketStart + 5 * 3_600_000 - now) / 1000);
    assert.equal(refused.headers.get("retry-after"), String(retry));
    assert.match(
      (await readJson<{ error: { message: string } }>(refused)).error.message,
      /rolling 5-hour budget/,
    );
    now = bucketStart + 5 * 3_600_000;
    assert.equal((await chat("free")).status, 200);
    // Lifted with null.
    await (await h.admin("/admin/keys/free", { method: "PUT", json: { budgets: null } })).text();
    assert.equal((await chat("free")).status, 200);
  });
});

Deno.test("key and group budgets both spent: the refusal names the one that resets last, and both alert", async () => {
  await using mock = upstream(pricedAnswer);
  await using hook = webhookReceiver(HOOK_SECRET);
  const now = Date.UTC(2026, 11, 6, 18, 0, 0);
  await using h = await startGateway({
    usageFlushMs: 60_000,
    tuning: { now: () => now },
    config: {
      pricing: PRICING,
      accounts: [{ id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa" }],
      // One request (4025 µ$) spends both: the key's day and the group's month.
      groups: [{ id: "team", accounts: ["oa"], budgets: [{ usd: 0.004, per: "month" }] }],
      keys: [{
        id: "ci",
        key: "key-ci-0123456789",
        group: "team",
        budgets: [{ usd: 0.004, per: "day" }],
      }],
      alerts: { webhooks: [{ url: hook.url, secret: HOOK_SECRET }] },
    },
  });
  const chat = () => h.api("/v1/chat/completions", { key: "key-ci-0123456789", json: CHAT });
  const first = await chat();
  assert.equal(first.status, 200, await first.text());
  const refused = await chat();
  assert.equal(refused.status, 429);
  // 18:00 UTC on 6 December: the month resets on 1 January, 25 days and 6 hours later.
  assert.equal(refused.headers.get("retry-after"), String(25 * 86_400 + 6 * 3600));
  const { error } = await readJson<{ error: { message: string } }>(refused);
  assert.match(error.message, /group "team" has spent its monthly \(UTC\) budget of \$0\.004/);
  assert.match(error.message, /resets at 2027-01-01T00:00:00\.000Z/);
  // Both budgets' exhaustion is raised, the group's too.
  await eventually(() => hook.received.length === 2, "both budget.exhausted");
  const exhausted = hook.received.map(({ event, body }) => [event, body.key ?? body.group]).sort();
  assert.deepEqual(exhausted, [["budget.exhausted", "ci"], ["budget.exhausted", "team"]]);
});

bothKvs("a group budget holds across two gateway processes on one KV", async (kv) => {
  await using mock = upstream(pricedAnswer);
  {
    const config = configDocument({
      accounts: [{ id: "oa", upstream: { url: `${mock.url}/v1` } }],
      groups: [{ id: "team", accounts: ["oa"] }],
      keys: [
        { id: "a", key: "key-a-0123456789", group: "team" },
        { id: "b", key: "key-b-0123456789", group: "team" },
      ],
    });
    const groups = config.groups as Record<string, unknown>[];
    groups[0].budgets = [{ usd: 0.01, per: "month" }];
    config.pricing = PRICING;
    const env = {
      SWITCHYARD_CONFIG_JSON: JSON.stringify(config),
      ...kv.env,
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    await using one = await startMainProcess(env);
    await using two = await startMainProcess(env);
    const call = async (url: string, key: string) => {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer key-${key}-0123456789`,
          "content-type": "application/json",
        },
        body: JSON.stringify(CHAT),
      });
      await response.text();
      return response;
    };
    const spent = async (url: string) => {
      const response = await fetch(`${url}/admin/budgets`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { budgets } = await response.json();
      return Math.round(budgets[0].spentUsd * 1_000_000);
    };
    assert.equal((await call(one.url, "a")).status, 200);
    assert.equal((await call(one.url, "a")).status, 200);
    // Process two sees process one's spend once it is flushed (about a second), and spends the rest.
    await eventually(
      async () => (await spent(two.url)) === 2 * PER_REQUEST,
      "two to see one's spend",
    );
    assert.equal((await call(two.url, "b")).status, 200);
    await eventually(
      async () => (await spent(one.url)) === 3 * PER_REQUEST,
      "one to see two's spend",
    );
    const hits = mock.hits.length;
    for (const [url, key] of [[one.url, "a"], [two.url, "b"], [one.url, "b"], [two.url, "a"]]) {
      const refused = await call(url, key);
      assert.equal(refused.status, 429, `${url} ${key}`);
      assert.ok(Number(refused.headers.get("retry-after")) > 0);
    }
    assert.equal(mock.hits.length, hits);
  }
});
