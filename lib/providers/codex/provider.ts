/**
 * ChatGPT Plus/Pro accounts through Codex (`platform: "openai"` with
 * `oauth`): OpenAI's Responses API on the ChatGPT backend. A request carries
 * `Authorization: Bearer` with the live access token, `chatgpt-account-id`,
 * and, where the client sent none, `OpenAI-Beta: responses=experimental` and
 * `originator: codex_cli_rs`. Quota windows: `quota.ts`.
 *
 * @module
 */

import { setOAuthBearer } from "../openai/provider.ts";
import type { SubscriptionProvider } from "../kinds.ts";

/** A Codex (ChatGPT sign-in) account. */
export const codexSubscription: SubscriptionProvider = {
  kind: "codex",
  platform: "openai",
  // The ChatGPT backend serves `/responses` only (`lib/protocols/codex/request.ts`).
  serves: { apis: ["responses"] },
  refreshes: true,
  authorize(headers, account, tokens) {
    setOAuthBearer(headers, tokens.accessToken);
    const accountId = tokens.accountId ?? account.oauth?.accountId;
    if (accountId) headers.set("chatgpt-account-id", accountId);
    else headers.delete("chatgpt-account-id");
    if (!headers.has("openai-beta")) headers.set("openai-beta", "responses=experimental");
    if (!headers.has("originator")) headers.set("originator", "codex_cli_rs");
  },
};
