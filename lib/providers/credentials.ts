/**
 * Account credentials on upstream requests: an API key as its provider sends
 * it, or, for a subscription (OAuth) account, a live access token with its
 * provider's OAuth headers, refreshed as needed (`lib/accounts/oauth/`).
 * This is the failover loop's credentials port.
 *
 * Refreshed OAuth tokens are sealed in KV under `SWITCHYARD_SECRET`, so a
 * gateway with OAuth accounts does not start without it.
 *
 * @module
 */

import type { HeaderEditor } from "../http/outgoing_headers.ts";
import type { KvReachability } from "../kv/reachability.ts";
import type { AccountEffect } from "../accounts/model.ts";
import type { Account, Config } from "../config/types.ts";
import { MIN_SECRET_LENGTH, SecretBox } from "../crypto/secret_box.ts";
import { anthropicApi } from "./anthropic/provider.ts";
import { OAuthManager } from "./oauth/manager.ts";
import { TokenStore } from "./oauth/token_store.ts";
import { openaiApi } from "./openai/provider.ts";
import { providerOf } from "./provider.ts";

/** A problem with credentials that stops start-up (shown as one line, like a config error). */
export class CredentialSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialSetupError";
  }
}

/** Whether an account's credential went on the request. */
export type Authorization =
  /** `token` is set for OAuth accounts: the access token sent, for a refresh after a 401. */
  | { ok: true; token?: string }
  /** No usable credential: the effect to apply to the account. */
  | { ok: false; effect: AccountEffect; detail: string };

/** OAuth tuning, for tests. */
export interface OAuthTuning {
  oauthLeaseMs?: number;
  oauthPollMs?: number;
}

/** Puts each account's credential on its upstream requests. */
export class Credentials {
  private constructor(readonly oauth: OAuthManager | undefined) {}

  /** Builds the credentials; OAuth accounts need a `SWITCHYARD_SECRET` of 16+ characters. */
  static async create(
    config: Config,
    kv: Deno.Kv,
    secret: string | undefined,
    tuning: OAuthTuning = {},
    egress?: (account: Account) => Deno.HttpClient | undefined,
    /** Bounds the token store's KV calls (a remote KV). */
    reach?: KvReachability,
  ): Promise<Credentials> {
    const needsSecret = config.accounts.some((account) => account.oauth);
    if (!secret) {
      if (!needsSecret) return new Credentials(undefined);
      throw new CredentialSetupError(
        `SWITCHYARD_SECRET is not set: OAuth accounts need it (${MIN_SECRET_LENGTH}+ characters) to encrypt refreshed tokens in KV`,
      );
    }
    const box = await SecretBox.fromSecret(secret, "oauth-tokens").catch((error) => {
      throw new CredentialSetupError(error.message);
    });
    return new Credentials(
      new OAuthManager(new TokenStore(kv, box, reach), {
        leaseMs: tuning.oauthLeaseMs,
        pollMs: tuning.oauthPollMs,
        retryAfterMs: () => config.failover.cooldownSeconds.unreachable * 1000,
        egress,
      }),
    );
  }

  /**
   * Puts the account's credential on `headers`. With `rejectedToken`, the
   * upstream just answered 401 to that OAuth token: refresh first.
   */
  async authorize(
    account: Account,
    headers: HeaderEditor,
    rejectedToken?: string,
  ): Promise<Authorization> {
    const provider = providerOf(account);
    const oauth = this.oauth;
    if (!("refreshes" in provider) || !oauth) {
      // Without an OAuth manager (no secret), an account's config token goes as an API key.
      (account.platform === "openai" ? openaiApi : anthropicApi).authorize(headers, account);
      return { ok: true };
    }
    const result = rejectedToken
      ? await oauth.refreshRejected(account, rejectedToken)
      : await oauth.credential(account);
    if (!result.ok) return result;
    provider.authorize(headers, account, result.tokens);
    return { ok: true, token: result.tokens.accessToken };
  }
}
