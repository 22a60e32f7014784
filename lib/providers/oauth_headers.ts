/**
 * What an OAuth account puts on an upstream request. A ChatGPT/Codex account
 * sends `Authorization: Bearer`, `chatgpt-account-id`, and, where the client
 * sent none, `OpenAI-Beta: responses=experimental` and
 * `originator: codex_cli_rs`. A Claude account sends `Authorization: Bearer`
 * and the `oauth-2025-04-20` beta flag merged into the client's
 * `anthropic-beta` flags.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import { DEFAULT_ANTHROPIC_VERSION } from "./anthropic/provider.ts";
import type { TokenSet } from "./oauth/refresh_client.ts";

/** The beta flag Anthropic requires for OAuth access tokens. */
export const ANTHROPIC_OAUTH_BETA = "oauth-2025-04-20";

/** Sets an OAuth account's credential headers on an upstream request. */
export function applyOAuthHeaders(headers: Headers, account: Account, tokens: TokenSet): void {
  headers.delete("x-api-key");
  headers.set("authorization", `Bearer ${tokens.accessToken}`);
  if (account.platform === "openai") {
    const accountId = tokens.accountId ?? account.oauth?.accountId;
    if (accountId) headers.set("chatgpt-account-id", accountId);
    else headers.delete("chatgpt-account-id");
    if (!headers.has("openai-beta")) headers.set("openai-beta", "responses=experimental");
    if (!headers.has("originator")) headers.set("originator", "codex_cli_rs");
    return;
  }
  headers.set("anthropic-beta", mergeBetas(headers.get("anthropic-beta"), ANTHROPIC_OAUTH_BETA));
  if (!headers.has("anthropic-version")) {
    headers.set("anthropic-version", DEFAULT_ANTHROPIC_VERSION);
  }
}

/** Adds `flag` to a comma-separated beta list unless it is there already. */
export function mergeBetas(existing: string | null, flag: string): string {
  const flags = (existing ?? "").split(",").map((item) => item.trim()).filter(Boolean);
  if (!flags.includes(flag)) flags.push(flag);
  return flags.join(",");
}
