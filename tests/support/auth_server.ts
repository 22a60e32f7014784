/**
 * A mock OAuth authorization server on a real loopback socket, strict the way
 * the real ones are where it matters: the authorize endpoint redirects to the
 * registered `redirect_uri` with a one-time `code` and the `state`; the token
 * endpoint takes the code only once, only with the PKCE verifier whose S256
 * challenge came with it, the same client id and redirect URI, and in the
 * encoding the provider's own client uses (a form for Codex, JSON with the
 * `state` for Claude). Refreshes rotate the refresh token.
 *
 * @module
 */

import { challengeOf } from "../../lib/providers/oauth/pkce.ts";
import { base64url } from "../../lib/crypto/random.ts";
import { json, type MockHit, startMockUpstream } from "../../scripts/support/mock_upstream.ts";

/** A running mock authorization server. */
export interface AuthServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/oauth/authorize`. */
  authorizeUrl: string;
  /** `http://127.0.0.1:PORT/oauth/token`. */
  tokenUrl: string;
  hits: MockHit[];
  /** Access tokens issued, newest last. */
  issued: string[];
  /** Follows an authorization URL as a signed-in browser would: the address it lands on. */
  signIn(authorizationUrl: string): Promise<string>;
  close(): Promise<void>;
}

interface Grant {
  challenge: string;
  clientId: string;
  redirectUri: string;
  state: string;
}

/** A JWT-shaped token (unsigned: the gateway only reads hints such as `exp`). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.sig`;
}

/** Starts the mock for one provider style: `codex` (form) or `claude` (JSON with state). */
export function startAuthServer(
  style: "codex" | "claude",
  options: { chatgptAccountId?: string; expiresIn?: number } = {},
): AuthServer {
  const grants = new Map<string, Grant>();
  const refreshTokens = new Set<string>();
  const issued: string[] = [];
  const accountId = options.chatgptAccountId ?? "acct-mock-1";
  const issue = () => {
    const access = fakeJwt({
      exp: Math.floor(Date.now() / 1000) + (options.expiresIn ?? 3600),
      "https://api.openai.com/auth": { chatgpt_account_id: accountId },
      n: crypto.randomUUID(),
    });
    const refresh = `rt-${crypto.randomUUID()}`;
    issued.push(access);
    refreshTokens.add(refresh);
    const answer: Record<string, unknown> = {
      access_token: access,
      refresh_token: refresh,
      expires_in: options.expiresIn ?? 3600,
      token_type: "Bearer",
    };
    if (style === "codex") {
      answer.id_token = fakeJwt({
        "https://api.openai.com/auth": { chatgpt_account_id: accountId },
      });
    }
    return json(200, answer);
  };
  const invalid = (error: string, status = 400) =>
    json(status, { error, error_description: `mock: ${error}` });

  const mock = startMockUpstream(async (request, hit) => {
    const url = new URL(request.url);
    if (url.pathname === "/oauth/authorize" && request.method === "GET") {
      const p = url.searchParams;
      const redirect = p.get("redirect_uri");
      const state = p.get("state");
      const challenge = p.get("code_challenge");
      if (!redirect || !state || !challenge || p.get("code_challenge_method") !== "S256") {
        return invalid("invalid_request");
      }
      if (p.get("response_type") !== "code") return invalid("unsupported_response_type");
      if (style === "claude" && p.get("code") !== "true") return invalid("invalid_request");
      const code = `code-${crypto.randomUUID()}`;
      grants.set(code, {
        challenge,
        clientId: p.get("client_id") ?? "",
        redirectUri: redirect,
        state,
      });
      const target = new URL(redirect);
      target.searchParams.set("code", code);
      target.searchParams.set("state", state);
      return new Response(null, { status: 302, headers: { location: target.toString() } });
    }
    if (url.pathname === "/oauth/token" && request.method === "POST") {
      const type = request.headers.get("content-type") ?? "";
      const wanted = style === "codex" ? "application/x-www-form-urlencoded" : "application/json";
      const body = await Promise.resolve(hit.body);
      const fields: Record<string, string> = type.startsWith("application/json")
        ? JSON.parse(body)
        : Object.fromEntries(new URLSearchParams(body));
      if (fields.grant_type === "refresh_token") {
        if (!refreshTokens.delete(fields.refresh_token)) return invalid("invalid_grant");
        return issue();
      }
      if (!type.startsWith(wanted)) return invalid("unsupported_content_type", 415);
      if (fields.grant_type !== "authorization_code") return invalid("unsupported_grant_type");
      const grant = grants.get(fields.code);
      grants.delete(fields.code); // one use, even a failed one
      if (!grant) return invalid("invalid_grant");
      if (grant.clientId !== fields.client_id) return invalid("invalid_client", 401);
      if (grant.redirectUri !== fields.redirect_uri) return invalid("invalid_grant");
      if (await challengeOf(fields.code_verifier ?? "") !== grant.challenge) {
        return invalid("invalid_grant");
      }
      if (style === "claude" && fields.state !== grant.state) return invalid("invalid_grant");
      return issue();
    }
    return json(404, { error: "not_found" });
  });
  const close = () => mock.close();
  return {
    authorizeUrl: `${mock.url}/oauth/authorize`,
    tokenUrl: `${mock.url}/oauth/token`,
    hits: mock.hits,
    issued,
    async signIn(authorizationUrl) {
      const response = await fetch(authorizationUrl, { redirect: "manual" });
      await response.body?.cancel();
      const location = response.headers.get("location");
      if (response.status !== 302 || !location) {
        throw new Error(`the mock refused the authorization request: ${response.status}`);
      }
      return location;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
