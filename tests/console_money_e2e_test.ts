/**
 * The console's money panel in headless Chromium: set a price override and a
 * key budget in the usage view, send a request, and see its cost in the
 * report, its spend on the budget's bar, and in dollars on the last-hour
 * chart once toggled; a subscription account's cost shown as its API-equivalent
 * value and a model without a price marked in the report. (The full walk is
 * `console_e2e_test.ts`.)
 */

import assert from "node:assert/strict";
import { eventually } from "./support/async.ts";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { ADMIN_TOKEN, SECRET, startGateway } from "./support/gateway.ts";
import { codexAccount } from "./support/protocol_mocks.ts";
import { pricedAnswer } from "./support/priced_mocks.ts";
import { upstream } from "./support/upstream.ts";

const available = await chromiumAvailable("console money e2e");

Deno.test({
  name: "console: a price override and a key budget set in the page, and the cost seen",
  ignore: !available,
  async fn() {
    await using mock = upstream(pricedAnswer);
    await using h = await startGateway({
      secret: SECRET,
      config: {
        accounts: [
          { id: "oa", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-oa" },
          codexAccount("codex", `${mock.url}/backend-api/codex`),
        ],
        groups: [{ id: "team", accounts: ["oa"] }, { id: "sub", accounts: ["codex"] }],
        keys: [
          { id: "ci", key: "key-ci-0123456789", group: "team" },
          { id: "sub", key: "key-sub-0123456789", group: "sub" },
        ],
      },
    });
    await using browser = await launchChromium({ width: 1280, height: 900 });
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${h.url}/dashboard`);
    await page.fill("#token", ADMIN_TOKEN);
    await page.click("#signin button[type=submit]");
    await page.click("#tab-usage");
    await page.waitForSelector("#price-source:has-text('genai-prices')");

    const price = page.locator("#price-form");
    await price.locator("[name=model]").fill("m-chat");
    await price.locator("[name=input]").fill("1.25");
    await price.locator("[name=output]").fill("10");
    await price.locator("[name=cachedInput]").fill("0.125");
    await price.locator("button[type=submit]").click();
    await page.waitForSelector("#price-rows tr[data-price='m-chat']");

    const budget = page.locator("#budget-form");
    await budget.locator("[name=target]").fill("ci");
    await budget.locator("[name=per]").selectOption("day");
    await budget.locator("[name=usd]").fill("0.01");
    await budget.locator("button[type=submit]").click();
    await page.waitForSelector("[data-budget='key:ci:day']");

    const response = await h.api("/v1/chat/completions", {
      key: "key-ci-0123456789",
      json: { model: "m-chat", messages: [{ role: "user", content: "hi" }] },
    });
    await response.text();

    await page.click("#report-form button[type=submit]");
    await page.waitForSelector("#report tr:has-text('ci') :text('$0.0040')");
    // Today's cost per key, from the live snapshot.
    await page.waitForSelector("#keys tr[data-key='ci'] :text('$0.0040')");
    await page.click("#tab-pool");
    await page.click("#tab-usage");
    const bar = page.locator("[data-budget='key:ci:day']");
    await eventually(
      async () => (await bar.textContent())?.includes("$0.0040 of $0.0100"),
      "the bar",
    );
    const width = await bar.locator(".meter i").getAttribute("style");
    assert.match(width ?? "", /width:40\.25%/);

    // The last-hour chart by account, toggled from tokens to dollars: the request's cost.
    await page.click("#tab-pool");
    await page.locator('[data-chart="tokens"] rect[data-series="oa"]').first().waitFor();
    await page.click("#chart-tokens [data-unit='usd']");
    const costBar = page.locator('[data-chart="cost"] rect[data-series="oa"]').first();
    await costBar.waitFor();
    assert.equal(await costBar.getAttribute("data-value"), "4025");
    assert.equal(
      await page.locator("#chart-tokens [data-unit='usd']").getAttribute("aria-pressed"),
      "true",
    );
    assert.equal(await page.textContent("#chart-tokens-title"), "Cost per minute by account (USD)");
    assert.match((await page.locator('[data-chart="cost"]').textContent()) ?? "", /\$0\.0050/);
    await page.click("#chart-tokens [data-unit='tokens']");
    await page.locator('[data-chart="tokens"] rect[data-series="oa"]').first().waitFor();

    // A subscription account's cost is the API-equivalent value; a model without a price is marked.
    const subscription = await h.api("/v1/responses", {
      key: "key-sub-0123456789",
      json: { model: "m-chat", input: "hi", stream: true },
      headers: { "x-stainless-model": "m-chat" },
    });
    assert.equal(subscription.status, 200, await subscription.text());
    const unpriced = await h.api("/v1/chat/completions", {
      key: "key-ci-0123456789",
      json: { model: "mystery-model", messages: [{ role: "user", content: "hi" }] },
      headers: { "x-stainless-model": "mystery-model" },
    });
    assert.equal(unpriced.status, 200, await unpriced.text());
    await page.click("#tab-usage");
    const report = page.locator("#report-form");
    await report.locator("[name=by]").selectOption("account");
    await report.locator("button[type=submit]").click();
    // Responses usage at the m-chat price: 1000 × 1.25 + 1000 × 0.125 + 500 × 10 = 6375 µ$.
    await page.waitForSelector("#report tr:has-text('codex') :text('$0.0064 API-equivalent')");
    assert.doesNotMatch(
      (await page.locator("#report tr:has-text('oa')").first().textContent()) ?? "",
      /API-equivalent/,
    );
    await report.locator("[name=by]").selectOption("model");
    await report.locator("button[type=submit]").click();
    await page.waitForSelector(
      "#report tr:has-text('mystery-model') td.warn:text('$0.0000 (no price)')",
    );
    assert.doesNotMatch(
      (await page.locator("#report tr:has-text('m-chat')").first().textContent()) ?? "",
      /no price/,
    );
    assert.deepEqual(errors, []);
  },
});
