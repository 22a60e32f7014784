/**
 * The dashboard in real headless Chromium (Debian's `chromium`, installed by
 * `.ci/run`), driven with playwright-core: sign in, watch an account turn from
 * active to cooling after a scripted 403, save a screenshot.
 *
 * The screenshot goes to `data/dashboard-e2e.png`, or to the path in
 * `SWITCHYARD_SCREENSHOT`.
 */

import assert from "node:assert/strict";
import { ADMIN_TOKEN, callApi, SECRET, startGateway } from "./support/gateway.ts";
import { exhaustibleAccounts } from "./support/upstream.ts";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";

const available = await chromiumAvailable("dashboard e2e");

Deno.test({
  name: "dashboard in headless Chromium: sign in, see active turn to cooling after a 403",
  ignore: !available,
  async fn() {
    const mocks = exhaustibleAccounts("hello");
    const h = await startGateway({
      secret: SECRET,
      usageFlushMs: 60_000,
      config: {
        accounts: [
          ...mocks.accounts,
          { id: "claude-1", platform: "anthropic", baseUrl: mocks.healthyUrl, apiKey: "sk-c" },
        ],
        groups: [{ id: "team", accounts: ["codex-1", "oa-1", "claude-1"] }],
        keys: [
          { id: "alice", key: "alice-key-0123456789", group: "team", dailyTokens: 100000 },
          { id: "ci-bot", key: "ci-bot-key-0123456789", group: "team" },
        ],
      },
    });
    const browser = await launchChromium({ width: 412, height: 915 });
    const context = browser.context;
    try {
      const warmup = await callApi(h.url, "/v1/chat/completions", {
        key: "ci-bot-key-0123456789",
        json: {},
      });
      await warmup.text();

      const page = context.pages()[0] ?? await context.newPage();
      await page.goto(`${h.url}/dashboard`);
      await page.fill("#token", "wrong-token");
      await page.click("button[type=submit]");
      await page.waitForSelector("#signin-error:has-text('not accepted')");

      await page.fill("#token", ADMIN_TOKEN);
      await page.click("button[type=submit]");
      const codexState = page.locator('[data-account="codex-1"] [data-testid="state"]');
      await codexState.waitFor();
      assert.equal(await codexState.textContent(), "active");
      await page.waitForSelector("#status:has-text('live')");

      // The scripted 403: the next request fails over, and the page learns it over SSE.
      mocks.exhaust();
      const response = await callApi(h.url, "/v1/chat/completions", {
        key: "alice-key-0123456789",
        json: {},
      });
      assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
      await response.text();

      await page.waitForSelector('[data-account="codex-1"][data-state="cooling"]');
      assert.equal(await codexState.textContent(), "cooling");
      const countdown = await page.locator('[data-account="codex-1"] .countdown').textContent();
      assert.match(countdown ?? "", /^back in \d+m \d+s$/);
      await page.waitForSelector("#failovers li:has-text('codex-1')");
      // Tokens reach the page too: alice's request (5 in, 7 out) shows up in the key table.
      await page.click("#tab-usage");
      await page.waitForSelector('#keys tr[data-key="alice"] td:nth-child(3):has-text("1")');
      await page.click("#tab-pool");

      // Recovery: a disabled account's next probe, and a model resting on an active account.
      const states = h.gateway.states;
      await states.apply("claude-1", {
        kind: "disable",
        reason: "3 consecutive 403 responses",
        temporary: true,
      });
      await states.apply("oa-1", {
        kind: "cooldown",
        reason: "quota",
        until: Date.now() + 3_600_000,
        strike: false,
        model: "gpt-big",
      });
      h.gateway.live.poke();
      const probe = page.locator('[data-account="claude-1"] .probe');
      await probe.waitFor();
      assert.match(await probe.textContent() ?? "", /^next probe .+ · probe in [45]m \d+s$/);
      const resting = page.locator('[data-account="oa-1"] [data-model="gpt-big"]');
      await resting.waitFor();
      assert.match(
        await resting.textContent() ?? "",
        /^gpt-big \(quota\) back in (59m|1h 0m) \d+s$/,
      );
      assert.equal(
        await page.locator('[data-account="oa-1"]').getAttribute("data-state"),
        "active",
      );

      const path = Deno.env.get("SWITCHYARD_SCREENSHOT") ?? "data/dashboard-e2e.png";
      await Deno.mkdir(path.replace(/\/[^/]*$/, ""), { recursive: true }).catch(() => {});
      await page.screenshot({ path, fullPage: true });
      assert.ok((await Deno.stat(path)).size > 1000);
    } finally {
      await browser[Symbol.asyncDispose]();
      await h.close();
      await mocks.close();
    }
  },
});
