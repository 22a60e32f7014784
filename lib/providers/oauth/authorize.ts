/**
 * Signing a subscription account in with the providers' own public clients:
 * the OAuth 2.0 authorization-code flow with PKCE, as Codex CLI (`codex
 * login`) and Claude Code (`/login`) run it.
 *
 * - Codex: `https://auth.openai.com/oauth/authorize` with the Codex client,
 *   redirect `http://127.0.0.1:1455/auth/callback`. Away from the Codex CLI
 *   nothing listens there, so the browser shows an error page whose address
 *   holds `code` and `state`: the user copies that address back. The code is
 *   exchanged at `https://auth.openai.com/oauth/token` as a form.
 * - Claude: `https://claude.com/cai/oauth/authorize?code=true` with the Claude
 *   Code client, redirect `https://platform.claude.com/oauth/code/callback`,
 *   which shows the user `code#state` to paste. The code is exchanged at
 *   `https://platform.claude.com/v1/oauth/token` as JSON, with `state`.
 *
 * These are the values of the pinned clients (Codex CLI 0.169, Claude Code
 * 2.1.332); `tests/oauth_clients_test.ts` reads them out of the installed
 * clients and fails when one moves.
 *
 * Every URL and the client id may be overridden (a proxy on a closed network,
 * a mock authorization server in tests). Pure, apart from the exchange call.
 *
 * @module
 */

import type { Platform } from "../../config/types.ts";
import { OAUTH_DEFAULTS } from "../../config/oauth.ts";
import {
  callTokenEndpoint,
  chatgptAccountId,
  readTokenAnswer,
  type TokenSet,
} from "./refresh_client.ts";

/** How one provider signs in. */
export interface SignInProfile {
  platform: Platform;
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  redirectUri: string;
  scope: string;
}

/** The overridable parts of a {@linkcode SignInProfile}. */
export type SignInOverrides = Partial<Omit<SignInProfile, "platform">>;

/** The public clients' settings. */
export const SIGN_IN_DEFAULTS: Readonly<Record<Platform, Readonly<SignInProfile>>> = Object.freeze({
  openai: {
    platform: "openai",
    authorizeUrl: "https://auth.openai.com/oauth/authorize",
    tokenUrl: OAUTH_DEFAULTS.openai.tokenUrl,
    clientId: OAUTH_DEFAULTS.openai.clientId,
    redirectUri: "http://127.0.0.1:1455/auth/callback",
    scope: "openid profile email offline_access api.connectors.read api.connectors.invoke",
  },
  anthropic: {
    platform: "anthropic",
    authorizeUrl: "https://claude.com/cai/oauth/authorize",
    tokenUrl: OAUTH_DEFAULTS.anthropic.tokenUrl,
    clientId: OAUTH_DEFAULTS.anthropic.clientId,
    redirectUri: "https://platform.claude.com/oauth/code/callback",
    // Claude Code's subscription scopes; it adds org:create_api_key (Console keys) and
    // flag-gated ones, which a gateway that only forwards Claude Code's calls does not need.
    scope:
      "user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload",
  },
});

/** A platform's profile with overrides applied (empty strings keep the default). */
export function signInProfile(platform: Platform, overrides: SignInOverrides = {}): SignInProfile {
  const profile: SignInProfile = { ...SIGN_IN_DEFAULTS[platform] };
  for (const [name, value] of Object.entries(overrides)) {
    if (typeof value === "string" && value.trim() !== "") {
      (profile as unknown as Record<string, string>)[name] = value.trim();
    }
  }
  return profile;
}

/** The URL the user opens to sign in. */
export function authorizationUrl(profile: SignInProfile, challenge: string, state: string): string {
  const url = new URL(profile.authorizeUrl);
  const params: [string, string][] = profile.platform === "anthropic" ? [["code", "true"]] : [];
  params.push(
    ["response_type", "code"],
    ["client_id", profile.clientId],
    ["redirect_uri", profile.redirectUri],
    ["scope", profile.scope],
    ["code_challenge", challenge],
    ["code_challenge_method", "S256"],
    ["state", state],
  );
  if (profile.platform === "openai") {
    // What the Codex CLI adds: organisations in the id token, its simplified consent page.
    params.push(
      ["id_token_add_organizations", "true"],
      ["codex_cli_simplified_flow", "true"],
      ["originator", "codex_cli_rs"],
    );
  }
  for (const [name, value] of params) url.searchParams.set(name, value);
  return url.toString();
}

/** What the user handed back: a code (and the state, when it came along), or why not. */
export type Returned = { ok: true; code: string; state?: string } | { ok: false; message: string };

/**
 * Reads what the user pasted after signing in: the address the provider sent
 * the browser to (`...?code=...&state=...`, or `?error=...`), Claude's
 * `code#state`, or the bare code.
 */
export function parseReturned(input: string): Returned {
  const text = input.trim();
  if (text === "") return { ok: false, message: "paste the address or the code you were given" };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.startsWith("?") || /[?&]code=/.test(text)) {
    let params: URLSearchParams;
    try {
      const url = new URL(text, "http://pasted.invalid/");
      params = url.searchParams.size > 0
        ? url.searchParams
        : new URLSearchParams(url.hash.slice(1));
    } catch {
      return { ok: false, message: "that address could not be read; paste it whole" };
    }
    const error = params.get("error");
    if (error) {
      const detail = params.get("error_description");
      return { ok: false, message: `the provider refused the sign-in: ${detail || error}` };
    }
    const code = params.get("code");
    if (!code) return { ok: false, message: "that address has no code; finish signing in first" };
    return { ok: true, code, state: params.get("state") ?? undefined };
  }
  if (/\s/.test(text)) return { ok: false, message: "a code has no spaces; paste it exactly" };
  const [code, state] = text.split("#", 2);
  if (!code) return { ok: false, message: "the code is missing before the #" };
  return state ? { ok: true, code, state } : { ok: true, code };
}

/**
 * Why an answer cannot finish the sign-in whose state is `expected`, or
 * `undefined` when it may: the state must come back and match. A bare code
 * (no state) is refused: it could be any sign-in's, a code an attacker made
 * the user paste (login CSRF) included.
 */
export function stateProblem(returned: { state?: string }, expected: string): string | undefined {
  if (returned.state === undefined) {
    return "the answer has no state: paste the whole address you landed on, or code#state";
  }
  if (returned.state !== expected) {
    return "that answer belongs to another sign-in (the state differs)";
  }
  return undefined;
}

/** The result of a code exchange. */
export type ExchangeOutcome = { ok: true; tokens: TokenSet } | { ok: false; message: string };

/** Exchanges an authorization code for tokens at the profile's token endpoint. */
export async function exchangeCode(
  profile: SignInProfile,
  code: string,
  verifier: string,
  state: string,
): Promise<ExchangeOutcome> {
  const body: Record<string, string> = {
    grant_type: "authorization_code",
    code,
    redirect_uri: profile.redirectUri,
    client_id: profile.clientId,
    code_verifier: verifier,
  };
  if (profile.platform === "anthropic") body.state = state;
  const answer = await callTokenEndpoint(
    profile.tokenUrl,
    body,
    profile.platform === "anthropic" ? "json" : "form",
  );
  if (answer.kind === "failed") return { ok: false, message: answer.reason };
  const outcome = readTokenAnswer(answer.status, answer.text);
  if (outcome.kind === "rejected") {
    return {
      ok: false,
      message: `the code was refused (${outcome.reason}): it is used or expired; sign in again`,
    };
  }
  if (outcome.kind === "failed") return { ok: false, message: outcome.reason };
  const tokens = outcome.tokens;
  // Codex: the account id is a claim of the id token, else of the access token.
  if (profile.platform === "openai" && !tokens.accountId) {
    const accountId = chatgptAccountId(tokens.accessToken);
    if (accountId) tokens.accountId = accountId;
  }
  return { ok: true, tokens };
}
