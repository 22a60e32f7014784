/**
 * Live credentials for OAuth accounts. The hot path is a memory lookup: an
 * account's tokens are loaded from KV once per process (refreshed tokens in
 * KV win over the config's copy) and kept until they come within
 * {@linkcode REFRESH_AHEAD_MS} of expiry or an upstream answers 401.
 *
 * Refreshing is shared by every process on the KV: inside a process one
 * refresh per account runs at a time, and across processes a KV lease lets
 * one process call the token endpoint while the others poll KV for its
 * result. A rejected refresh token (`invalid_grant`) disables the account for
 * good (no half-open probes): the token is spent or revoked, only a new
 * sign-in helps, and importing it clears the disabled state anyway.
 *
 * @module
 */

import { sha256Hex } from "../../crypto/digest.ts";
import type { Account } from "../../config/types.ts";
import { currentTokenUrl } from "../../config/oauth.ts";
import type { AccountEffect } from "../../accounts/model.ts";
import { requestRefresh, type TokenSet } from "./refresh_client.ts";
import type { StoredTokens, TokenStore } from "./token_store.ts";
import { KvUnreachable } from "../../kv/reachability.ts";

/** Refresh when the access token has this little time left. */
export const REFRESH_AHEAD_MS = 3 * 60_000;

/** Usable tokens, or what to do to the account instead. */
export type CredentialResult =
  | { ok: true; tokens: TokenSet }
  | { ok: false; effect: AccountEffect; detail: string };

/** Tuning, mostly for tests. */
export interface OAuthManagerOptions {
  /** How long one process may hold the refresh lease. */
  leaseMs?: number;
  /** How often a waiting process looks for the lease holder's result. */
  pollMs?: number;
  /** How long an account rests after a refresh failed for a transient reason. */
  retryAfterMs: () => number;
  /** The HTTP client through the account's egress proxy; direct when absent or `undefined`. */
  egress?: (account: Account) => Deno.HttpClient | undefined;
}

/** Hands out access tokens for OAuth accounts, refreshing them as needed. */
export class OAuthManager {
  readonly #cache = new Map<string, TokenSet>();
  readonly #inflight = new Map<string, Promise<CredentialResult>>();
  readonly #leaseMs: number;
  readonly #pollMs: number;

  constructor(private readonly store: TokenStore, private readonly options: OAuthManagerOptions) {
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 50;
  }

  /** Tokens for a request, refreshed first when they are about to expire. */
  async credential(account: Account): Promise<CredentialResult> {
    let tokens = this.#cache.get(account.id);
    if (!tokens) {
      const loaded = await this.#singleFlight(`load:${account.id}`, () => this.#load(account));
      if (!loaded.ok) return loaded;
      tokens = loaded.tokens;
    }
    const now = Date.now();
    if (tokens.expiresAt - now > REFRESH_AHEAD_MS) return { ok: true, tokens };
    const refreshed = await this.#refresh(account, tokens.accessToken);
    // A refresh that failed for a passing reason leaves a token that still works a while.
    if (!refreshed.ok && refreshed.effect.kind !== "disable" && tokens.expiresAt > Date.now()) {
      return { ok: true, tokens };
    }
    return refreshed;
  }

  /** Drops every token held in memory: a new sign-in was stored, load from KV again. */
  forget(): Promise<void> {
    this.#cache.clear();
    return Promise.resolve();
  }

  /** New tokens after the upstream answered 401 to `rejectedAccessToken`. */
  refreshRejected(account: Account, rejectedAccessToken: string): Promise<CredentialResult> {
    return this.#refresh(account, rejectedAccessToken);
  }

  #refresh(account: Account, staleAccessToken: string): Promise<CredentialResult> {
    return this.#singleFlight(
      `refresh:${account.id}`,
      () => this.#refreshShared(account, staleAccessToken),
    );
  }

  async #singleFlight(
    key: string,
    run: () => Promise<CredentialResult>,
  ): Promise<CredentialResult> {
    const running = this.#inflight.get(key);
    if (running) return await running;
    // A KV that does not answer (an outage) is a passing failure of this account, never a hang.
    const bounded = () =>
      run().catch((error) => {
        if (error instanceof KvUnreachable) return this.#transient(error.message);
        throw error;
      });
    const started = bounded().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, started);
    return await started;
  }

  async #load(account: Account): Promise<CredentialResult> {
    const stored = await this.store.read(account.id);
    const fromConfig = configTokens(account);
    if (stored.kind === "tokens") return this.#adopt(account, stored.tokens);
    if (
      stored.kind === "failed" &&
      (!fromConfig || sha256Hex(fromConfig.refreshToken) === stored.failedRefresh)
    ) {
      return rejected(stored.reason);
    }
    if (!fromConfig) {
      return {
        ok: false,
        effect: {
          kind: "disable",
          reason:
            "no OAuth tokens: import them with `deno task accounts import-codex|import-claude`",
          temporary: false,
          reauth: true,
        },
        detail: "no OAuth tokens",
      };
    }
    return this.#adopt(account, fromConfig);
  }

  async #refreshShared(account: Account, stale: string): Promise<CredentialResult> {
    const deadline = Date.now() + this.#leaseMs + 5_000;
    for (;;) {
      const adopted = this.#adoptable(account, await this.store.read(account.id), stale);
      if (adopted) return adopted;
      if (await this.store.tryLease(account.id, this.#leaseMs)) {
        try {
          const stored = await this.store.read(account.id);
          const late = this.#adoptable(account, stored, stale);
          if (late) return late;
          return await this.#callEndpoint(account, stored);
        } finally {
          await this.store.releaseLease(account.id).catch(() => {});
        }
      }
      if (Date.now() > deadline) {
        return this.#transient("timed out waiting for another process to refresh the token");
      }
      await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
    }
  }

  /** A result another refresh already produced, if there is one. */
  #adoptable(
    account: Account,
    stored: StoredTokens,
    stale: string,
  ): CredentialResult | undefined {
    if (stored.kind === "tokens") {
      const fresh = stored.tokens.expiresAt - Date.now() > REFRESH_AHEAD_MS;
      if (stored.tokens.accessToken !== stale && fresh) return this.#adopt(account, stored.tokens);
      return undefined;
    }
    if (stored.kind === "failed") {
      const current = this.#cache.get(account.id) ?? configTokens(account);
      if (!current || sha256Hex(current.refreshToken) === stored.failedRefresh) {
        return rejected(stored.reason);
      }
    }
    return undefined;
  }

  async #callEndpoint(account: Account, stored: StoredTokens): Promise<CredentialResult> {
    const oauth = account.oauth!;
    const current = stored.kind === "tokens"
      ? stored.tokens
      : this.#cache.get(account.id) ?? configTokens(account);
    if (!current) return rejected("no refresh token");
    const outcome = await requestRefresh(
      {
        // Accounts stored before a client moved its endpoint carry the old default.
        tokenUrl: currentTokenUrl(account.platform, oauth.tokenUrl),
        clientId: oauth.clientId,
        platform: account.platform,
        client: this.options.egress?.(account),
      },
      current,
    );
    if (outcome.kind === "ok") {
      await this.store.write(account.id, outcome.tokens);
      return this.#adopt(account, outcome.tokens);
    }
    if (outcome.kind === "rejected") {
      await this.store.writeFailure(account.id, outcome.reason, current.refreshToken);
      this.#cache.delete(account.id);
      return rejected(outcome.reason);
    }
    return this.#transient(`token refresh failed: ${outcome.reason}`);
  }

  #adopt(account: Account, tokens: TokenSet): CredentialResult {
    this.#cache.set(account.id, tokens);
    return { ok: true, tokens };
  }

  #transient(detail: string): CredentialResult {
    return {
      ok: false,
      effect: {
        kind: "cooldown",
        reason: "unreachable",
        until: Date.now() + this.options.retryAfterMs(),
        strike: false,
      },
      detail,
    };
  }
}

function rejected(reason: string): CredentialResult {
  return {
    ok: false,
    effect: {
      kind: "disable",
      reason: `OAuth refresh rejected (${reason}): sign in again and re-import the account`,
      temporary: false,
      reauth: true,
    },
    detail: `OAuth refresh rejected (${reason})`,
  };
}

/** The config file's copy of an account's tokens, if it has one. */
function configTokens(account: Account): TokenSet | undefined {
  const oauth = account.oauth;
  if (!oauth || !oauth.refreshToken) return undefined;
  const tokens: TokenSet = {
    accessToken: oauth.accessToken,
    refreshToken: oauth.refreshToken,
    expiresAt: oauth.expiresAt,
  };
  if (oauth.accountId) tokens.accountId = oauth.accountId;
  return tokens;
}
