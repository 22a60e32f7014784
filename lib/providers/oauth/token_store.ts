/**
 * OAuth tokens in KV, encrypted, plus the refresh lease.
 *
 * Layout (under `["switchyard", "oauth", accountId]`):
 * - `tokens` → `{ sealed, updatedAt }` with the {@linkcode TokenSet} sealed by
 *   {@linkcode SecretBox}, or `{ failure, failedRefresh, updatedAt }` after the
 *   endpoint rejected the refresh token (`failedRefresh` is a digest, never
 *   the token).
 * - `lease` → `{ owner, until }`: the one process allowed to call the token
 *   endpoint for this account until `until` (stored because `expireIn` is lazy).
 *
 * A new sign-in (not a refresh) also changes `["switchyard", "oauth-signin"]`,
 * which every gateway watches in its per-request state read: it drops the
 * tokens it holds in memory, so the new sign-in serves from the next request.
 *
 * With a {@linkcode KvReachability}, every call is bounded by the KV deadline
 * (a remote KV that does not answer throws `KvUnreachable` instead of hanging).
 *
 * @module
 */

import { sha256Hex } from "../../crypto/digest.ts";
import { oauthKey, SIGN_IN_GENERATION_KEY } from "../../kv/keys.ts";
import type { KvReachability } from "../../kv/reachability.ts";
import { withLockRetry } from "../../kv/retry.ts";
import { logError } from "../../log.ts";
import type { Sealed, SecretBox } from "../../crypto/secret_box.ts";
import type { TokenSet } from "./refresh_client.ts";

interface TokenRecord {
  sealed?: Sealed;
  failure?: string;
  /** SHA-256 hex of the refresh token the endpoint rejected. */
  failedRefresh?: string;
  updatedAt: number;
}

interface LeaseRecord {
  owner: string;
  until: number;
}

/** What KV holds for an account's tokens at one versionstamp. */
export type StoredTokens =
  | { kind: "none"; versionstamp: string | null }
  | { kind: "tokens"; tokens: TokenSet; versionstamp: string }
  | { kind: "failed"; reason: string; failedRefresh?: string; versionstamp: string };

/** Reads and writes one KV's OAuth records. */
export class TokenStore {
  readonly owner = crypto.randomUUID();

  constructor(
    readonly kv: Deno.Kv,
    readonly box: SecretBox,
    private readonly reach?: KvReachability,
  ) {}

  /** A KV call, retried on a local file's lock and bounded by the KV deadline when one is set. */
  #call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const run = () => withLockRetry(operation);
    return this.reach ? this.reach.call(what, run) : run();
  }

  /** The stored tokens of an account. An unreadable record (other secret) reads as none. */
  async read(accountId: string): Promise<StoredTokens> {
    const entry = await this.#call(
      "read OAuth tokens",
      () => this.kv.get<TokenRecord>(tokensKey(accountId)),
    );
    const record = entry.value;
    if (!record || entry.versionstamp === null) return { kind: "none", versionstamp: null };
    if (record.failure) {
      return {
        kind: "failed",
        reason: record.failure,
        failedRefresh: record.failedRefresh,
        versionstamp: entry.versionstamp,
      };
    }
    if (!record.sealed) return { kind: "none", versionstamp: entry.versionstamp };
    try {
      const tokens = JSON.parse(await this.box.open(record.sealed, accountId)) as TokenSet;
      return { kind: "tokens", tokens, versionstamp: entry.versionstamp };
    } catch {
      logError("stored OAuth tokens do not decrypt (SWITCHYARD_SECRET changed?)", {
        account: accountId,
      });
      return { kind: "none", versionstamp: entry.versionstamp };
    }
  }

  /** Stores new tokens, encrypted. */
  async write(accountId: string, tokens: TokenSet, now = Date.now()): Promise<void> {
    const record: TokenRecord = {
      sealed: await this.box.seal(JSON.stringify(tokens), accountId),
      updatedAt: now,
    };
    await this.#call("write OAuth tokens", () => this.kv.set(tokensKey(accountId), record));
  }

  /** Stores the tokens of a new sign-in and tells every gateway to drop the ones it holds. */
  async writeSignIn(accountId: string, tokens: TokenSet, now = Date.now()): Promise<void> {
    const record: TokenRecord = {
      sealed: await this.box.seal(JSON.stringify(tokens), accountId),
      updatedAt: now,
    };
    await this.#call("write a sign-in", () =>
      this.kv.atomic().set(tokensKey(accountId), record)
        .set(SIGN_IN_GENERATION_KEY, crypto.randomUUID()).commit());
  }

  /** Records that the endpoint rejected `refreshToken`. */
  async writeFailure(
    accountId: string,
    reason: string,
    refreshToken: string,
    now = Date.now(),
  ): Promise<void> {
    const record: TokenRecord = {
      failure: reason,
      failedRefresh: sha256Hex(refreshToken),
      updatedAt: now,
    };
    await this.#call("write an OAuth failure", () => this.kv.set(tokensKey(accountId), record));
  }

  /** Takes the refresh lease if nobody holds a live one. */
  async tryLease(accountId: string, ttlMs: number, now = Date.now()): Promise<boolean> {
    const entry = await this.#call(
      "read the refresh lease",
      () => this.kv.get<LeaseRecord>(leaseKey(accountId)),
    );
    if (entry.value && entry.value.until > now && entry.value.owner !== this.owner) return false;
    const result = await this.#call(
      "take the refresh lease",
      () =>
        this.kv.atomic().check(entry).set(
          leaseKey(accountId),
          { owner: this.owner, until: now + ttlMs } satisfies LeaseRecord,
          { expireIn: ttlMs + 60_000 },
        ).commit(),
    );
    return result.ok;
  }

  /** Gives the lease back, if it is still ours. */
  async releaseLease(accountId: string): Promise<void> {
    const entry = await this.#call(
      "read the refresh lease",
      () => this.kv.get<LeaseRecord>(leaseKey(accountId)),
    );
    if (entry.value?.owner !== this.owner) return;
    await this.#call(
      "give the refresh lease back",
      () => this.kv.atomic().check(entry).delete(leaseKey(accountId)).commit(),
    );
  }
}

function tokensKey(accountId: string): Deno.KvKey {
  return oauthKey(accountId, "tokens");
}

function leaseKey(accountId: string): Deno.KvKey {
  return oauthKey(accountId, "lease");
}
