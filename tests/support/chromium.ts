/**
 * Debian's headless Chromium for the browser tests, driven by playwright-core
 * (no browser download): whether it is installed, and a browser with its own
 * throw-away profile that `await using` closes and removes.
 *
 * @module
 */

import { type BrowserContext, chromium } from "./npm_packages.ts";

/** Where `.ci/run` installs Debian's `chromium`. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether the browser tests can run here; prints why not when they cannot. */
export async function chromiumAvailable(test: string): Promise<boolean> {
  const available = await Deno.stat(CHROMIUM).then(() => true, () => false);
  if (!available) {
    console.log(`${test} skipped: ${CHROMIUM} is missing (.ci/run installs Debian's chromium)`);
  }
  return available;
}

/** A headless browser on a fresh profile, at `viewport`. */
export async function launchChromium(
  viewport: { width: number; height: number },
): Promise<{ context: BrowserContext } & AsyncDisposable> {
  const profile = await Deno.makeTempDir({ prefix: "switchyard-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport,
    deviceScaleFactor: 1,
  });
  return {
    context,
    async [Symbol.asyncDispose]() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
