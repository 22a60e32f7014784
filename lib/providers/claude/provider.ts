/**
 * Claude Pro/Max accounts through Claude Code (`platform: "anthropic"` with
 * `oauth`): the Messages API with `Authorization: Bearer` and the
 * `oauth-2025-04-20` beta flag merged into the client's `anthropic-beta`
 * flags. Quota windows: `quota.ts`.
 *
 * @module
 */

import { defaultVersion } from "../anthropic/provider.ts";
import { setOAuthBearer } from "../openai/provider.ts";
import type { SubscriptionProvider } from "../kinds.ts";

/** The beta flag Anthropic requires for OAuth access tokens. */
export const ANTHROPIC_OAUTH_BETA = "oauth-2025-04-20";

/** A Claude (Claude Code sign-in) account. */
export const claudeSubscription: SubscriptionProvider = {
  kind: "claude",
  platform: "anthropic",
  // Anthropic authorizes subscription tokens for Claude Code only (`lib/protocols/claude/client.ts`).
  serves: { apis: ["messages"], claudeCodeOnly: true },
  refreshes: true,
  authorize(headers, _account, tokens) {
    setOAuthBearer(headers, tokens.accessToken);
    headers.set("anthropic-beta", mergeBetas(headers.get("anthropic-beta"), ANTHROPIC_OAUTH_BETA));
    defaultVersion(headers);
  },
};

/** Adds `flag` to a comma-separated beta list unless it is there already. */
export function mergeBetas(existing: string | null, flag: string): string {
  const flags = (existing ?? "").split(",").map((item) => item.trim()).filter(Boolean);
  if (!flags.includes(flag)) flags.push(flag);
  return flags.join(",");
}
