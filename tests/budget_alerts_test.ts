/**
 * Budget alerts over real sockets: two gateways on one KV (a file, and a remote KV
 * through the KV Connect test server) spend a key's
 * daily budget; the webhook receiver gets one signed `budget.alert` when the
 * spend passes `alertAt` and one `budget.exhausted` when it runs out, however
 * many requests either gateway sees after that; the next UTC day is a new
 * episode. A group's budget names the group.
 */

import assert from "node:assert/strict";
import { eventually } from "./support/async.ts";
import { readJson, startGateway, type TestGateway } from "./support/gateway.ts";
import { bothKvs } from "./support/shared_kv.ts";
import { pricedAnswer } from "./support/priced_mocks.ts";
import { upstream } from "./support/upstream.ts";
import { webhookReceiver } from "./support/webhook.ts";

const HOOK_SECRET = "whsec-budget-0123456789";
/** One chat answer of priced_mocks.ts at these prices: 4025 micro-dollars. */
const PRICING = { "m-chat": { input: 1.25, output: 10, cachedInput: 0.125 } };
const PER_REQUEST = 4025;
const CHAT = { model: "m-chat", messages: [{ role: "user", content: "hi" }] };
const DAY_MS = 86_400_000;

async function chat(gateway: TestGateway, key: string): Promise<number> {
  const response = await gateway.api("/v1/chat/completions", { key, json: CHAT });
  await response.text();
  return response.status;
}

async function spentMicros(gateway: TestGateway): Promise<number> {
  const { budgets } = await readJson<{ budgets: { spentUsd: number }[] }>(
    await gateway.admin("/admin/budgets"),
  );
  return Math.round(budgets[0].spentUsd * 1_000_000);
}

bothKvs("budget.alert and budget.exhausted once per window across two gateways", async (kv) => {
  await using mock = upstream(pricedAnswer);
  await using hook = webhookReceiver(HOOK_SECRET);
  // The real time of day (episodes expire by the wall clock), moved a day on later.
  let now = Date.now();
  const config = {
    pricing: PRICING,
    accounts: [{ id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa" }],
    groups: [{ id: "team", accounts: ["oa"] }],
    keys: [{
      id: "ci",
      key: "key-ci-0123456789",
      group: "team",
      // 10000 µ$ a day, alert at 5000: request 2 passes the alert level, request 3 the budget.
      budgets: [{ usd: 0.01, per: "day", alertAt: 0.5 }],
    }],
    alerts: {
      webhooks: [{
        url: hook.url,
        secret: HOOK_SECRET,
        events: ["budget.alert", "budget.exhausted"],
      }],
    },
  };
  const tuning = { now: () => now, alertRetryDelaysMs: [20, 20] };
  const one = await startGateway({ config, tuning, usageFlushMs: 20, kvPath: kv.location });
  const two = await startGateway({ config, tuning, usageFlushMs: 20, kvPath: kv.location });
  const events = (name: string) => hook.received.filter((r) => r.event === name);
  try {
    const spendDay = async () => {
      for (let i = 0; i < 3; i++) {
        const gateway = i % 2 === 0 ? one : two;
        assert.equal(await chat(gateway, "key-ci-0123456789"), 200);
        const spent = (i + 1) * PER_REQUEST;
        await eventually(
          async () => (await spentMicros(one)) === spent && (await spentMicros(two)) === spent,
          "both gateways to see the spend",
        );
      }
      // Both gateways refuse, several times each, at once.
      const refused = await Promise.all(
        [one, two, one, two, one, two].map((g) => chat(g, "key-ci-0123456789")),
      );
      assert.deepEqual(refused, [429, 429, 429, 429, 429, 429]);
    };

    await spendDay();
    await eventually(() => events("budget.exhausted").length === 1, "budget.exhausted");
    assert.equal(events("budget.alert").length, 1, JSON.stringify(hook.received));
    // Let any duplicate arrive before counting again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(events("budget.alert").length, 1);
    assert.equal(events("budget.exhausted").length, 1);
    assert.ok(hook.received.every((r) => r.signed));
    const alert = events("budget.alert")[0].body;
    assert.equal(alert.key, "ci");
    assert.equal(alert.group, undefined);
    assert.equal(typeof alert.at, "string");
    const detail = alert.detail as Record<string, unknown>;
    assert.match(String(detail.message), /key "ci" passed 50% of its day budget of \$0\.01/);
    assert.equal(detail.per, "day");
    assert.equal(detail.alertAt, 0.5);
    const exhausted = events("budget.exhausted")[0].body;
    assert.equal(exhausted.key, "ci");
    const resetsAt = new Date(Math.floor(now / DAY_MS) * DAY_MS + DAY_MS).toISOString();
    assert.equal((exhausted.detail as Record<string, unknown>).resetsAt, resetsAt);
    assert.equal((exhausted.detail as Record<string, unknown>).spentUsd, 3 * PER_REQUEST / 1e6);

    // The next UTC day: a new window, so new episodes.
    now = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS + 60_000;
    await spendDay();
    await eventually(() => events("budget.exhausted").length === 2, "the second budget.exhausted");
    assert.equal(events("budget.alert").length, 2);
  } finally {
    await two.close();
    await one.close();
  }
});

Deno.test("a group's budget alert names the group", async () => {
  await using mock = upstream(pricedAnswer);
  await using hook = webhookReceiver(HOOK_SECRET);
  await using gateway = await startGateway({
    usageFlushMs: 20,
    config: {
      pricing: PRICING,
      accounts: [{ id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa" }],
      groups: [{ id: "team", accounts: ["oa"], budgets: [{ usd: 0.004, per: "month" }] }],
      keys: [{ id: "a", key: "key-a-0123456789", group: "team" }],
      alerts: { webhooks: [{ url: hook.url, secret: HOOK_SECRET }] },
    },
  });
  assert.equal(await chat(gateway, "key-a-0123456789"), 200);
  assert.equal(await chat(gateway, "key-a-0123456789"), 429);
  await eventually(() => hook.received.length === 1, "the group's budget.exhausted");
  const [received] = hook.received;
  assert.equal(received.event, "budget.exhausted");
  assert.equal(received.body.group, "team");
  assert.equal(received.body.key, undefined);
  assert.match(
    String((received.body.detail as { message: string }).message),
    /group "team" has spent its month budget of \$0\.004/,
  );
});
