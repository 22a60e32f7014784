/**
 * Sign-ins in progress, shared by every process through KV, so the browser
 * may start a sign-in on one `deno serve --parallel` worker and finish it on
 * another. Each flow is `["switchyard", "oauth-flow", id]`: the provider
 * profile, the expected `state`, the PKCE verifier sealed with the OAuth-token
 * key (bound to the flow id), and the account settings to create; it expires
 * after {@linkcode FLOW_TTL_MS}. A finished flow is deleted in a checked
 * commit, so one pasted code makes one account.
 *
 * @module
 */

import type { Platform } from "../../config/types.ts";
import type { Sealed, SecretBox } from "../../crypto/secret_box.ts";
import { oauthFlowKey } from "../../kv/keys.ts";
import { withLockRetry } from "../../kv/retry.ts";
import {
  authorizationUrl,
  exchangeCode,
  parseReturned,
  type SignInOverrides,
  type SignInProfile,
  signInProfile,
  stateProblem,
} from "./authorize.ts";
import { newPkce, newState } from "./pkce.ts";
import type { TokenSet } from "./refresh_client.ts";

/** How long a started sign-in may take. */
export const FLOW_TTL_MS = 15 * 60_000;

interface StoredFlow {
  profile: SignInProfile;
  state: string;
  verifier: Sealed;
  /** The account to create or update: `{id, priority?, ...}`, checked when the flow started. */
  account: Record<string, unknown>;
  expiresAt: number;
}

/** A started sign-in, as the browser or terminal gets it. */
export interface StartedFlow {
  flow: string;
  platform: Platform;
  authorizeUrl: string;
  redirectUri: string;
  expiresAt: string;
}

/** A finished sign-in: new tokens for the account the flow was started for. */
export type FinishedFlow =
  | {
    ok: true;
    tokens: TokenSet;
    profile: SignInProfile;
    account: Record<string, unknown>;
  }
  | { ok: false; status: 400 | 404 | 502; message: string };

/** Starts and finishes sign-ins. */
export class SignInFlows {
  constructor(private readonly kv: Deno.Kv, private readonly box: SecretBox) {}

  /** Makes a flow: PKCE, state, and the URL the user opens. */
  async start(
    platform: Platform,
    overrides: SignInOverrides,
    account: Record<string, unknown>,
    now = Date.now(),
  ): Promise<StartedFlow> {
    const profile = signInProfile(platform, overrides);
    const pkce = await newPkce();
    const state = newState();
    const flow = crypto.randomUUID();
    const record: StoredFlow = {
      profile,
      state,
      verifier: await this.box.seal(pkce.verifier, `oauth-flow:${flow}`),
      account,
      expiresAt: now + FLOW_TTL_MS,
    };
    await withLockRetry(() => this.kv.set(oauthFlowKey(flow), record, { expireIn: FLOW_TTL_MS }));
    return {
      flow,
      platform,
      authorizeUrl: authorizationUrl(profile, pkce.challenge, state),
      redirectUri: profile.redirectUri,
      expiresAt: new Date(record.expiresAt).toISOString(),
    };
  }

  /** Reads what the user pasted, checks it belongs to this flow, and exchanges the code. */
  async finish(flow: string, input: string, now = Date.now()): Promise<FinishedFlow> {
    const entry = await withLockRetry(() => this.kv.get<StoredFlow>(oauthFlowKey(flow)));
    const record = entry.value;
    if (!record || record.expiresAt <= now) {
      return {
        ok: false,
        status: 404,
        message: "this sign-in expired or was finished: start again",
      };
    }
    const returned = parseReturned(input);
    if (!returned.ok) return { ok: false, status: 400, message: returned.message };
    const problem = stateProblem(returned, record.state);
    if (problem) {
      const hint = returned.state === undefined ? "" : ": paste the latest one";
      return { ok: false, status: 400, message: `${problem}${hint}` };
    }
    const verifier = await this.box.open(record.verifier, `oauth-flow:${flow}`);
    const exchanged = await exchangeCode(record.profile, returned.code, verifier, record.state);
    if (!exchanged.ok) {
      const refused = exchanged.message.startsWith("the code was refused");
      return { ok: false, status: refused ? 400 : 502, message: exchanged.message };
    }
    const claimed = await withLockRetry(() =>
      this.kv.atomic().check(entry).delete(oauthFlowKey(flow)).commit()
    );
    if (!claimed.ok) {
      return { ok: false, status: 404, message: "this sign-in was finished already" };
    }
    return { ok: true, tokens: exchanged.tokens, profile: record.profile, account: record.account };
  }
}
