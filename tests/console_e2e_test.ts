/**
 * The first run in headless Chromium (Debian's `chromium`, driven with
 * playwright-core), as a new user walks it: a fresh KV and `main.ts` with no
 * config; the token it printed; sign in; add an API-key account pointing at a
 * mock upstream (the form checks before sending, and shows the API's 400 next
 * to its field); create a group and a key; copy the key with the button and
 * send a request with the `openai` SDK; see it on the chart and in usage;
 * then add a Codex subscription through the sign-in flow against a mock
 * authorization server, exhaust it with a scripted 403, and watch its card
 * turn to cooling with a countdown and its quota bar full. Then by keyboard,
 * and a token reset from the terminal that sends the page back to sign-in.
 *
 * Screenshots (desktop and phone) go to `data/`, or to `docs/` with
 * `SWITCHYARD_SCREENSHOTS=docs` (the README's images are made that way).
 */

import assert from "node:assert/strict";
import { OpenAI, type Page } from "./support/npm_packages.ts";
import { eventually } from "./support/async.ts";
import { startAuthServer } from "./support/auth_server.ts";
import { runScript, startMainProcess } from "./support/process.ts";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { chatCompletion, json as mockJson, upstream } from "./support/upstream.ts";
import { codexAnswering } from "./support/protocol_mocks.ts";

const available = await chromiumAvailable("console e2e");

/** Codex's answer when the 5-hour window is used up, with its quota headers. */
function usageLimit403(): Response {
  return mockJson(403, {
    error: {
      type: "usage_limit_reached",
      message: "The usage limit has been reached",
      resets_in_seconds: 7200,
    },
  }, {
    "x-codex-primary-used-percent": "100",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-after-seconds": "7200",
    "x-codex-secondary-used-percent": "41",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-after-seconds": "400000",
  });
}

async function tab(page: Page, name: "pool" | "keys" | "usage"): Promise<void> {
  await page.click(`#tab-${name}`);
  await page.locator(`#view-${name}`).waitFor();
}

Deno.test({
  name:
    "first run in Chromium: token, sign-in, accounts, group, key, a request, a Codex sign-in and its 403",
  ignore: !available,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "switchyard-console-e2e-" });
    await using apiUpstream = upstream(() => mockJson(200, chatCompletion("hello from the pool")));
    let exhausted = false;
    const codex = codexAnswering("hello from codex");
    await using codexBackend = upstream((request, hit) =>
      // The ChatGPT backend speaks Responses only: the SDK's chat call reaches it translated.
      exhausted ? usageLimit403() : codex(request, hit)
    );
    await using auth = startAuthServer("codex", { chatgptAccountId: "acct-e2e" });
    await using gateway = await startMainProcess({}, dir);
    await eventually(
      () => Promise.resolve(/admin token .*: (sya-\S+)/.test(gateway.stdout())),
      "the printed token",
    );
    const token = /admin token .*: (sya-\S+)/.exec(gateway.stdout())![1];

    await using browser = await launchChromium({ width: 1280, height: 900 });
    const context = browser.context;
    const errors: string[] = [];
    try {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], {
        origin: gateway.url,
      });
      const page = context.pages()[0] ?? await context.newPage();
      page.on("pageerror", (error) => errors.push(String(error)));
      page.on("console", (message) => {
        // Chromium logs every 4xx the page meets; those here are expected (a wrong token, 400s).
        const text = message.text();
        if (message.type() === "error" && !text.startsWith("Failed to load resource")) {
          errors.push(text);
        }
      });
      await page.goto(`${gateway.url}/dashboard`);

      // Sign in with the token main.ts printed.
      await page.fill("#token", "sya-not-the-token");
      await page.click("#signin button[type=submit]");
      await page.waitForSelector("#signin-error:has-text('not accepted')");
      await page.fill("#token", token);
      await page.click("#signin button[type=submit]");
      await page.waitForSelector("#status:has-text('live')");
      await page.waitForSelector("#accounts:has-text('No accounts yet')");

      // An OpenAI API key account: the form checks before sending, then shows the API's 400.
      await page.click("#add-account");
      await page.click('[data-kind="openai-key"]');
      const accountForm = page.locator("#account-form");
      assert.equal(await accountForm.locator("[name=id]").inputValue(), "openai-1");
      await accountForm.locator("button[type=submit]").click();
      await page.waitForSelector('#account-form [data-error-for="apiKey"]:has-text("Required")');
      await accountForm.locator("[name=apiKey]").fill("sk-upstream-secret");
      await accountForm.locator("[name=baseUrl]").fill(`${apiUpstream.url}/v1?x=1`);
      await accountForm.locator("button[type=submit]").click();
      await page.waitForSelector(
        '#account-form [data-error-for="baseUrl"]:has-text("must not have a query")',
      );
      await accountForm.locator("[name=baseUrl]").fill(apiUpstream.url);
      await accountForm.locator("button[type=submit]").click();
      await page.locator('[data-account="openai-1"]').waitFor();
      assert.equal(await page.locator("#dlg-account").getAttribute("open"), null);
      const card = await page.locator('[data-account="openai-1"]').textContent();
      assert.match(card ?? "", /OpenAI API key/);
      assert.ok(!(await page.content()).includes("sk-upstream-secret"), "the secret is write-only");

      // Its models: a mistake is caught beside the field, then the card shows the mapping; cleared again.
      const models = accountForm.locator("[name=models]");
      const openai1 = page.locator('[data-account="openai-1"]');
      await openai1.locator('button:has-text("Edit")').click();
      await models.fill("gpt-5 = = gpt-5-codex");
      await accountForm.locator("button[type=submit]").click();
      await page.waitForSelector(
        '#account-form [data-error-for="models"]:has-text("more than one")',
      );
      await models.fill("gpt-5 = gpt-5-codex\nclaude-*");
      await accountForm.locator("button[type=submit]").click();
      await openai1.locator(
        '[data-testid="models"]:has-text("models: gpt-5 → gpt-5-codex, claude-*")',
      )
        .waitFor();
      await openai1.locator('button:has-text("Edit")').click();
      assert.equal(await models.inputValue(), "gpt-5 = gpt-5-codex\nclaude-*");
      await models.fill("");
      await accountForm.locator("button[type=submit]").click();
      await openai1.locator('[data-testid="models"]').waitFor({ state: "detached" });

      // Its egress proxy: write-only, shown masked on the card, removed again with its checkbox.
      const proxy = accountForm.locator("[name=proxy]");
      await openai1.locator('button:has-text("Edit")').click();
      await proxy.fill("http://relay:proxy-pw-secret@127.0.0.1:3128");
      await accountForm.locator("button[type=submit]").click();
      await openai1.locator(
        '[data-testid="proxy"]:has-text("via proxy http://relay:***@127.0.0.1:3128")',
      ).waitFor();
      assert.ok(!(await page.content()).includes("proxy-pw-secret"), "the proxy is write-only");
      await openai1.locator('button:has-text("Edit")').click();
      assert.equal(await proxy.inputValue(), "");
      assert.match(await proxy.getAttribute("placeholder") ?? "", /relay:\*\*\*@127\.0\.0\.1:3128/);
      await accountForm.locator("[name=proxyClear]").check();
      await accountForm.locator("button[type=submit]").click();
      await openai1.locator('[data-testid="proxy"]').waitFor({ state: "detached" });

      // A group and a key; the key is copied with its button.
      await tab(page, "keys");
      await page.click("#add-group");
      const groupForm = page.locator("#group-form");
      await groupForm.locator("[name=id]").fill("team");
      await groupForm.locator("button[type=submit]").click();
      await page.locator('#groups tr[data-group="team"]').waitFor();
      assert.match(
        await page.locator('#groups tr[data-group="team"]').textContent() ?? "",
        /openai-1/,
      );
      await page.click("#add-key");
      const keyForm = page.locator("#key-form");
      await keyForm.locator("[name=id]").fill("alice");
      await keyForm.locator("[name=dailyTokens]").fill("100000");
      await keyForm.locator("button[type=submit]").click();
      await page.locator("#dlg-created[open]").waitFor();
      const shown = await page.locator("#created-key").inputValue();
      assert.match(shown, /^sy-[A-Za-z0-9_-]{43}$/);
      await page.click("#copy-key");
      await page.waitForSelector("#copy-key:has-text('Copied')");
      const copied = await page.evaluate("navigator.clipboard.readText()") as string;
      assert.equal(copied, shown);
      for (
        const [client, expected] of [
          ["Codex CLI", `openai_base_url = "${gateway.url}/v1"`],
          ["Claude Code", `export ANTHROPIC_BASE_URL=${gateway.url}`],
          ["OpenAI SDK", `OpenAI(base_url="${gateway.url}/v1", api_key="${shown}")`],
          ["curl", `curl ${gateway.url}/v1/chat/completions`],
        ]
      ) {
        await page.click(`#snippet-tabs button:has-text("${client}")`);
        assert.ok((await page.locator("#snippet").textContent())?.includes(expected), client);
      }
      await page.locator("#dlg-created button[data-close]").click();

      // The openai SDK with the copied key.
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: copied, maxRetries: 0 });
      const completion = await client.chat.completions.create({
        model: "gpt-4.1-mini",
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(completion.choices[0].message.content, "hello from the pool");

      // On the chart and in usage.
      await tab(page, "pool");
      await page.locator('[data-chart="requests"] rect[data-series="served"]').first().waitFor();
      await page.waitForSelector('[data-tile="requests"] b:has-text("1")');
      await page.locator('[data-chart="tokens"] rect[data-series="openai-1"]').first().waitFor();
      await tab(page, "usage");
      await page.waitForSelector('#keys tr[data-key="alice"] td:nth-child(3):has-text("1")');
      await page.waitForSelector("#report tr:has-text('alice')");

      // A Codex subscription through the sign-in flow, against the mock authorization server.
      await tab(page, "pool");
      await page.click("#add-account");
      await page.click('[data-kind="codex"]');
      const subForm = page.locator("#sub-form");
      assert.equal(await subForm.locator("[name=id]").inputValue(), "codex-1");
      await subForm.locator("[name=priority]").fill("1");
      await subForm.locator("summary").first().click();
      await subForm.locator("[name=baseUrl]").fill(codexBackend.url);
      await subForm.locator("[name=authorizeUrl]").fill(auth.authorizeUrl);
      await subForm.locator("[name=tokenUrl]").fill(auth.tokenUrl);
      await subForm.locator("button[type=submit]").click();
      await page.locator("#finish-form").waitFor();
      const authorizeUrl = await page.locator("#authorize-url").inputValue();
      assert.equal(await page.locator("#authorize-link").getAttribute("href"), authorizeUrl);
      // The user signs in (the mock stands in for auth.openai.com) and pastes where they landed.
      const landed = await auth.signIn(authorizeUrl);
      await page.fill("#finish-form [name=input]", "not what the provider gave");
      await page.click("#finish-form button[type=submit]");
      await page.waitForSelector('#finish-form [data-error-for="input"]:has-text("no spaces")');
      await page.fill("#finish-form [name=input]", landed);
      await page.click("#finish-form button[type=submit]");
      const codexCard = page.locator('[data-account="codex-1"]');
      await codexCard.waitFor();
      assert.match(await codexCard.textContent() ?? "", /Codex subscription/);
      assert.equal(await codexCard.getAttribute("data-state"), "active");

      // Into the group, first in line.
      await tab(page, "keys");
      await page.click('#groups tr[data-group="team"] button:has-text("Edit")');
      await page.check('#group-form input[name=accounts][value="codex-1"]');
      await page.click("#group-form button[type=submit]");
      await page.waitForSelector('#groups tr[data-group="team"]:has-text("codex-1")');
      const first = await client.chat.completions.create({
        model: "gpt-5",
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(first.choices[0].message.content, "hello from codex");
      assert.equal(
        codexBackend.hits.at(-1)?.headers.get("authorization"),
        `Bearer ${auth.issued.at(-1)}`,
      );

      // The scripted 403: the request fails over, the card cools with a countdown, the bar is full.
      exhausted = true;
      const failedOver = await client.chat.completions.create({
        model: "gpt-5",
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(failedOver.choices[0].message.content, "hello from the pool");
      await tab(page, "pool");
      await page.waitForSelector('[data-account="codex-1"][data-state="cooling"]');
      const countdown = await codexCard.locator(".countdown").textContent();
      assert.match(countdown ?? "", /^back in (1h 59m|2h 0m) \d+s$/);
      await codexCard.locator('[data-window="codex-primary"][data-full="true"]').waitFor();
      assert.match(
        await codexCard.locator('[data-window="codex-primary"]').textContent() ?? "",
        /5-hour window · 100% used/,
      );
      assert.equal(
        await codexCard.locator('[data-window="codex-primary"] [role=meter]').getAttribute(
          "aria-valuenow",
        ),
        "100",
      );
      // Reset by hand, it is no longer cooling, but its 5-hour window is still spent: not "active".
      await codexCard.locator('button:has-text("Reset")').click();
      await page.waitForSelector('[data-account="codex-1"][data-state="spent"]');
      assert.equal(await codexCard.locator('[data-testid="state"]').textContent(), "spent");
      assert.match(await codexCard.textContent() ?? "", /Quota used up; returns at/);
      await page.waitForSelector("#failovers li:has-text('codex-1')");
      await page.locator('[data-chart="requests"] circle[data-series="failovers"]').first()
        .waitFor();

      const shots = screenshotDir();
      await Deno.mkdir(shots, { recursive: true });
      await page.locator("#toast").waitFor({ state: "hidden" });
      await page.screenshot({ path: `${shots}/console-desktop.png`, fullPage: true });
      await page.setViewportSize({ width: 412, height: 915 });
      await page.screenshot({ path: `${shots}/console-phone.png`, fullPage: true });

      // By keyboard: arrow keys move between the sections, Enter opens a dialog, Escape closes it.
      await page.focus("#tab-pool");
      await page.keyboard.press("ArrowRight");
      assert.equal(await page.getAttribute("#tab-keys", "aria-selected"), "true");
      assert.equal(await page.evaluate("document.activeElement.id"), "tab-keys");
      await page.focus("#add-key");
      await page.keyboard.press("Enter");
      await page.locator("#dlg-key[open]").waitFor();
      assert.equal(await page.evaluate("document.activeElement.name"), "id");
      await page.keyboard.press("Escape");
      await page.locator("#dlg-key").waitFor({ state: "hidden" });
      await page.keyboard.press("ArrowLeft"); // focus went back to the opener, not the tabs
      assert.equal(await page.getAttribute("#tab-keys", "aria-selected"), "true");

      // A reset token (from a terminal, on the KV file) sends the page back to sign-in, saying why.
      const reset = await runScript("scripts/admin.ts", ["reset-token"], { cwd: dir });
      assert.equal(reset.code, 0, reset.stderr);
      await page.click('#groups tr[data-group="team"] button:has-text("Edit")');
      await page.click("#group-form button[type=submit]");
      await page.waitForSelector("#signin-error:has-text('no longer accepted')");
      assert.equal(await page.isVisible("#app"), false);
      assert.deepEqual(errors, [], "no errors in the browser console");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

function screenshotDir(): string {
  return Deno.env.get("SWITCHYARD_SCREENSHOTS") ?? "data";
}
