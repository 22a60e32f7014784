import assert from "node:assert/strict";
import { type AdminIo, runAdmin } from "../scripts/admin.ts";
import { ADMIN_TOKEN, readJson, startGateway } from "./support/gateway.ts";
import { pricedAnswer } from "./support/priced_mocks.ts";
import { upstream } from "./support/upstream.ts";

async function admin(url: string, ...args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const env: Record<string, string> = { SWITCHYARD_URL: url, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN };
  const io: AdminIo = {
    env: (name) => env[name],
    out: (line) => out.push(line),
    err: (line) => out.push(line),
  };
  return { code: await runAdmin(args, io), out };
}

Deno.test("deno task admin: price overrides, budgets on keys and groups, cost in usage", async (t) => {
  await using mock = upstream(pricedAnswer);
  await using h = await startGateway({
    usageFlushMs: 60_000,
    config: {
      pricing: { "seed-*": { input: 1, output: 2 } },
      accounts: [{ id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa" }],
      groups: [{ id: "team", accounts: ["oa"] }],
      keys: [{ id: "ci", key: "key-ci-0123456789", group: "team" }],
    },
  });

  await t.step("pricing set / list", async () => {
    const set = await admin(
      h.url,
      "pricing",
      "set",
      "m-*",
      "--input",
      "1.25",
      "--output",
      "10",
      "--cached-input",
      "0.125",
    );
    assert.equal(set.code, 0, set.out.join("\n"));
    assert.match(
      set.out[0],
      /^prices: npm:@pydantic\/genai-prices@[\d.]+ \(\d{4}-\d{2}-\d{2}, \d+ models\)/,
    );
    assert.match(set.out.join("\n"), /m-\*\s+1\.25\s+10\s+0\.125/);
    const view = await readJson<{ pricing: Record<string, unknown> }>(
      await h.admin("/admin/pricing"),
    );
    assert.deepEqual(view.pricing, {
      "seed-*": { input: 1, output: 2 },
      "m-*": { input: 1.25, output: 10, cachedInput: 0.125 },
    });
    const bad = await admin(h.url, "pricing", "set", "x", "--input", "1");
    assert.equal(bad.code, 2);
    const list = await admin(h.url, "pricing", "list");
    assert.equal(list.code, 0, list.out.join("\n"));
    assert.match(list.out[0], /USD per 1M tokens; overrides from the api$/);
    assert.match(list.out.join("\n"), /^MODEL\s+INPUT\s+OUTPUT\s+CACHED/m);
    assert.match(list.out.join("\n"), /^seed-\*\s+1\s+2\s+-\s+-/m);
    assert.match(list.out.join("\n"), /^m-\*\s+1\.25\s+10\s+0\.125\s+-/m);
    const json = await admin(h.url, "pricing", "list", "--json");
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.out.join("\n")).pricing, view.pricing);
  });

  await t.step("usage shows the cost of each key", async () => {
    const response = await h.api("/v1/chat/completions", {
      key: "key-ci-0123456789",
      json: { model: "m-chat", messages: [{ role: "user", content: "hi" }] },
    });
    await response.text();
    const usage = await admin(h.url, "usage", "--by", "key");
    assert.equal(usage.code, 0);
    assert.match(usage.out.join("\n"), /ci\s+1\s+1000\s+300\s+200\s+0\.0040/);
  });

  await t.step("keys budget and groups budget set, list and remove a window's budget", async () => {
    const key = await admin(
      h.url,
      "keys",
      "budget",
      "ci",
      "--per",
      "day",
      "--usd",
      "5",
      "--alert-at",
      "0.8",
    );
    assert.equal(key.code, 0, key.out.join("\n"));
    assert.match(key.out[0], /key "ci" budgets: \$5\/day \(alert at 0\.8\)/);
    const group = await admin(h.url, "groups", "budget", "team", "--per", "month", "--usd", "50");
    assert.equal(group.code, 0, group.out.join("\n"));
    assert.match(group.out[0], /group "team" budgets: \$50\/month/);
    const list = await admin(h.url, "budgets", "list");
    assert.match(list.out.join("\n"), /key\s+ci\s+day\s+\$5\s+\$0\.0000/);
    assert.match(list.out.join("\n"), /group\s+team\s+month\s+\$50/);
    const removed = await admin(h.url, "keys", "budget", "ci", "--per", "day", "--usd", "none");
    assert.match(removed.out[0], /key "ci" budgets: none/);
    const groups = await readJson<Record<string, unknown>[]>(await h.admin("/admin/groups"));
    assert.deepEqual(groups.find((g) => g.id === "team")?.accounts, ["oa"]);
  });

  await t.step("pricing remove drops one override; reset goes back to the config's", async () => {
    const removed = await admin(h.url, "pricing", "remove", "m-*");
    assert.equal(removed.code, 0, removed.out.join("\n"));
    assert.doesNotMatch(removed.out.join("\n"), /^m-\*/m);
    assert.match(removed.out.join("\n"), /^seed-\*\s+1\s+2/m);
    let view = await readJson<{ source: string; pricing: Record<string, unknown> }>(
      await h.admin("/admin/pricing"),
    );
    assert.equal(view.source, "api");
    assert.deepEqual(view.pricing, { "seed-*": { input: 1, output: 2 } });
    const missing = await admin(h.url, "pricing", "remove", "m-*");
    assert.equal(missing.code, 1);
    assert.match(missing.out.join("\n"), /no override for "m-\*"/);
    assert.equal(
      (await admin(h.url, "pricing", "set", "x-*", "--input", "3", "--output", "4")).code,
      0,
    );
    const reset = await admin(h.url, "pricing", "reset");
    assert.equal(reset.code, 0, reset.out.join("\n"));
    assert.match(reset.out[0], /overrides from the config$/);
    assert.doesNotMatch(reset.out.join("\n"), /^x-\*/m);
    view = await readJson(await h.admin("/admin/pricing"));
    assert.equal(view.source, "config");
    assert.deepEqual(view.pricing, { "seed-*": { input: 1, output: 2 } });
  });
});
