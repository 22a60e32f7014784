/**
 * The console's account tests and alerts in headless Chromium: the Test
 * button on an account card and Test all, then the alerts form on the Keys &
 * groups tab (add a signed webhook, whose URL path and secret never show),
 * Send test reaching a receiver that checks the signature, and the
 * delivery in the list. An account's proxy field: set in the account form
 * (a real tinyproxy with a password on loopback), shown masked on the card
 * and by the API, the next Test going through it, removed again.
 */

import assert from "node:assert/strict";
import { ADMIN_TOKEN, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { proxiesMissing, startTinyproxy } from "./support/proxies.ts";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { eventually } from "./support/async.ts";
import { chatCompletion, json, openaiError, upstream } from "./support/upstream.ts";
import { webhookReceiver } from "./support/webhook.ts";

const available = await chromiumAvailable("alerts console e2e");
const HOOK_SECRET = "whsec-console-0123456789";
const PROXY_PASSWORD = "console-proxy-pw-0123";
const proxiesAbsent = available ? await proxiesMissing() : undefined;

Deno.test({
  name:
    "console in Chromium: Test, Test all, an account's proxy field, an alerts webhook with Send test",
  ignore: !available || !!proxiesAbsent,
  async fn() {
    await using good = upstream(() => json(200, chatCompletion("ok")));
    await using bad = upstream(() => json(500, openaiError("upstream broke")));
    await using hook = webhookReceiver(HOOK_SECRET);
    await using proxy = await startTinyproxy({ user: "relay", password: PROXY_PASSWORD });
    await using gateway = await startGateway({
      secret: SECRET,
      accounts: [{ id: "good", upstream: good }, { id: "bad", upstream: bad }],
    });
    await using browser = await launchChromium({ width: 1280, height: 900 });
    const page = browser.context.pages()[0] ?? await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));

    await page.goto(`${gateway.url}/dashboard`);
    await page.fill("#token", ADMIN_TOKEN);
    await page.click("#signin button[type=submit]");
    await page.waitForSelector("#status:has-text('live')");

    // Test on one card: the result shows on the card.
    const goodCard = page.locator('[data-account="good"]');
    await goodCard.locator('button:has-text("Test")').click();
    await goodCard.locator('[data-testid="last-test"]:has-text("Test passed")').waitFor();
    assert.equal(good.hits.length, 1);

    // Test all: every card gets its result; the failing one says why.
    await page.click("#test-all");
    const badCard = page.locator('[data-account="bad"]');
    await badCard.locator('[data-testid="last-test"]:has-text("Test failed (500): upstream broke")')
      .waitFor();
    await page.waitForSelector("#toast:has-text('1 of 2 tests failed')");
    assert.equal(good.hits.length, 2);

    // The proxy field: the card shows it masked, the API stores it (masked in GET), Test uses it.
    const accountForm = page.locator("#account-form");
    await goodCard.locator('button:has-text("Edit")').click();
    await accountForm.locator("[name=proxy]").fill(proxy.url);
    await accountForm.locator("button[type=submit]").click();
    const masked = `http://relay:***@127.0.0.1:${proxy.port}`;
    await goodCard.locator(`[data-testid="proxy"]:has-text("via proxy ${masked}")`).waitFor();
    assert.ok(!(await page.content()).includes(PROXY_PASSWORD), "the proxy is write-only");
    const stored = await readJson(await gateway.admin("/admin/accounts/good"));
    assert.equal(stored.proxy, masked);
    assert.equal(stored.source, "api");
    await goodCard.locator('button:has-text("Test")').click();
    await eventually(() => good.hits.length === 3 || undefined, "the test through the proxy");
    assert.match(good.hits[2].headers.get("via") ?? "", /tinyproxy/, "it came through tinyproxy");
    await goodCard.locator('button:has-text("Edit")').click();
    assert.equal(await accountForm.locator("[name=proxy]").inputValue(), "");
    await accountForm.locator("[name=proxyClear]").check();
    await accountForm.locator("button[type=submit]").click();
    await goodCard.locator('[data-testid="proxy"]').waitFor({ state: "detached" });
    assert.equal((await readJson(await gateway.admin("/admin/accounts/good"))).proxy, undefined);

    // Alerts: add a signed webhook; its path and secret never reach the page.
    await page.click("#tab-keys");
    await page.waitForSelector("#alert-hooks:has-text('No webhooks yet')");
    const form = page.locator("#alert-form");
    await form.locator("[name=url]").fill(hook.url);
    await form.locator("[name=secret]").fill(HOOK_SECRET);
    await form.locator("button[type=submit]").click();
    await page.locator('[data-webhook="webhook-1"]:has-text("signed")').waitFor();
    const content = await page.content();
    assert.ok(!content.includes(HOOK_SECRET), "the secret is write-only");
    assert.ok(!content.includes("T0KEN"), "the URL's path is write-only");

    await page.click("#alert-test");
    await page.waitForSelector("#toast:has-text('Test sent to every webhook')");
    await eventually(() => hook.received.length === 1 || undefined, "the test delivery");
    assert.equal(hook.received[0].event, "test");
    assert.ok(hook.received[0].signed);
    await page.waitForSelector("#alert-deliveries:has-text('webhook-1 test · delivered (204)')");

    // Removing it leaves none.
    await page.locator('[data-webhook="webhook-1"] button:has-text("Remove")').click();
    await page.waitForSelector("#alert-hooks:has-text('No webhooks yet')");

    // Editing a group in the console changes the form's fields and keeps the ones it does not show.
    const ops = {
      id: "ops",
      accounts: ["good", "bad"],
      allowPaths: ["/v1/files"],
      translate: false,
      models: { fast: "gpt-4o-mini" },
      allowModels: ["fast", "gpt-*"],
      healthChecks: { everySeconds: 86_400, model: "gpt-4o-mini", recover: false },
      budgets: [{ usd: 25, per: "day", alertAt: 0.8 }],
    };
    const created = await gateway.admin("/admin/groups", { method: "POST", json: ops });
    assert.equal(created.status, 201, await created.clone().text());
    await created.body?.cancel();
    const row = page.locator('#groups tr[data-group="ops"]');
    await row.locator('button:has-text("Edit")').click();
    const groupForm = page.locator("#group-form");
    await groupForm.locator("[name=avoidAbovePercent]").fill("75");
    await groupForm.locator("[name=order]").selectOption("resets-first");
    await groupForm.locator("button[type=submit]").click();
    await page.waitForSelector("#toast:has-text('Saved group ops')");
    await row.locator(':text("avoid above 75%")').waitFor();
    const { source: _source, ...edited } = await readJson(await gateway.admin("/admin/groups/ops"));
    assert.deepEqual(edited, { ...ops, avoidAbovePercent: 75, order: "resets-first" });
    assert.deepEqual(errors, []);
  },
});
