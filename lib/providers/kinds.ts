/**
 * What an account kind is (the shapes every provider folder fills in): the
 * client APIs it serves natively and how it puts its credential on an
 * upstream request. The providers (`openai/`, `codex/`, `anthropic/`,
 * `claude/`) import these; the registry that picks a provider for an account
 * (`provider.ts`) imports the providers, so the arrows point one way.
 *
 * @module
 */

import type { Account, Platform } from "../config/types.ts";
import type { Api } from "../protocols/translate/ir.ts";
import type { HeaderEditor } from "../http/outgoing_headers.ts";
import type { TokenSet } from "./oauth/refresh_client.ts";

/**
 * The client APIs an account kind serves natively (it speaks them upstream);
 * any other client API reaches it only through translation.
 */
export interface NativeApis {
  apis: readonly Api[];
  /** Only requests from Claude Code itself (Anthropic's rule for subscription tokens). */
  claudeCodeOnly?: true;
}

/** An account that signs in with an API key. */
export interface ApiKeyProvider {
  kind: "openai" | "anthropic";
  platform: Platform;
  serves: NativeApis;
  /** Puts the account's API key (and its other headers, any the platform requires) on an upstream request. */
  authorize(headers: HeaderEditor, account: Account): void;
}

/** A subscription account that signs in with OAuth. */
export interface SubscriptionProvider {
  kind: "codex" | "claude";
  platform: Platform;
  serves: NativeApis;
  /** Its access tokens expire and are refreshed (`oauth/manager.ts`). */
  refreshes: true;
  /** Puts the live OAuth tokens (and the headers the sign-in requires) on an upstream request. */
  authorize(headers: HeaderEditor, account: Account, tokens: TokenSet): void;
}
