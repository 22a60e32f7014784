/**
 * The npm packages only tests use, in one place, pinned: the real OpenAI and
 * Anthropic SDKs (clients our users run) and playwright-core (drives Debian's
 * Chromium). They are not in `deno.json`'s import map, so the gateway's own
 * lock (`deno.lock`) holds only what `main.ts` runs and a first `deno task
 * start` downloads nothing else; tests resolve these through
 * `deno.dev.lock` (`deno task test`, `deno task test-file <file>`). See
 * docs/dependencies.md.
 *
 * @module
 */

export { default as Anthropic } from "npm:@anthropic-ai/sdk@1.13.0";
export { default as OpenAI } from "npm:openai@7.57.0";
export { type BrowserContext, chromium, type Page } from "npm:playwright-core@1.65.1";
