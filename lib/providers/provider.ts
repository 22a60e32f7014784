/**
 * The kinds of upstream account and what each knows, one folder per kind:
 *
 * | kind        | folder                  | platform    | credential                      |
 * | ----------- | ----------------------- | ----------- | ------------------------------- |
 * | OpenAI API  | `openai/`               | `openai`    | API key, `Authorization: Bearer`|
 * | Codex       | `codex/` (uses openai/) | `openai`    | ChatGPT sign-in (OAuth)         |
 * | Anthropic   | `anthropic/`            | `anthropic` | API key, `x-api-key`            |
 * | Claude      | `claude/` (uses anthropic/) | `anthropic` | Claude sign-in (OAuth)      |
 *
 * A kind's folder holds its credential headers, its quota and reset headers
 * (`quota.ts`, `rate_limits.ts`) and its sign-in defaults. Accounts of a
 * platform serve that platform's client APIs natively (`lib/protocols/api_route.ts`):
 * today a request's surface is always its accounts' platform.
 *
 * This module is the registry above the kinds: it imports each provider, and
 * the providers import only the shared shapes in `kinds.ts`.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import { anthropicApi } from "./anthropic/provider.ts";
import { claudeSubscription } from "./claude/provider.ts";
import { codexSubscription } from "./codex/provider.ts";
import type { ApiKeyProvider, NativeApis, SubscriptionProvider } from "./kinds.ts";
import { openaiApi } from "./openai/provider.ts";

export type { ApiKeyProvider, NativeApis, SubscriptionProvider } from "./kinds.ts";

/** The provider of an account's kind. */
export function providerOf(account: Account): ApiKeyProvider | SubscriptionProvider {
  if (account.oauth) return account.platform === "openai" ? codexSubscription : claudeSubscription;
  return account.platform === "openai" ? openaiApi : anthropicApi;
}

/** A base URL on the ChatGPT backend's Codex endpoint, which serves `/responses` only. */
const CODEX_BACKEND = /^https?:\/\/chatgpt\.com\/backend-api\/codex(\/|$)/i;

/** Does this account talk to the ChatGPT (Codex) backend, signed in or through its base URL? */
export function isCodexAccount(account: Account): boolean {
  return account.platform === "openai" &&
    (account.oauth !== undefined || CODEX_BACKEND.test(account.baseUrl));
}

/** The client APIs an account serves natively. */
export function nativeApis(account: Account): NativeApis {
  return isCodexAccount(account) ? codexSubscription.serves : providerOf(account).serves;
}

/** The upstream URL for an account: its base URL, the path after `/v1`, the query string. */
export function upstreamUrl(account: Account, upstreamPath: string, search: string): string {
  return `${account.baseUrl}${upstreamPath}${search}`;
}
