/**
 * Calls to an OAuth token endpoint: `grant_type=refresh_token` as Codex CLI
 * and Claude Code make it (a JSON body), and the shared call and answer
 * reading that the sign-in's code exchange (`authorize.ts`) uses too. An
 * answer is reduced to new tokens, a rejected grant (the refresh token or the
 * code is dead: sign in again), or a transient failure. Token values never
 * appear in a returned message.
 *
 * @module
 */

import type { Platform } from "../../config/types.ts";

/** An account's live tokens. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms; 0 when unknown. */
  expiresAt: number;
  /** ChatGPT account id, for Codex accounts. */
  accountId?: string;
}

/** What a refresh call came to. */
export type RefreshOutcome =
  | { kind: "ok"; tokens: TokenSet }
  /** The endpoint rejected the refresh token (`invalid_grant` and kin). */
  | { kind: "rejected"; reason: string }
  /** Network failure, timeout, 5xx, or an unreadable answer: try again later. */
  | { kind: "failed"; reason: string };

/** How long a token endpoint may take. */
export const REFRESH_TIMEOUT_MS = 15_000;

/** Error codes that mean the refresh token itself is no good. */
const REJECTED_CODES = new Set([
  "invalid_grant",
  "refresh_token_expired",
  "refresh_token_reused",
  "refresh_token_invalidated",
]);

/** Asks the token endpoint for new tokens. Never throws. */
export async function requestRefresh(
  target: {
    tokenUrl: string;
    clientId: string;
    platform: Platform;
    /** The account's egress proxy client (`lib/http/proxy_clients.ts`); direct when absent. */
    client?: Deno.HttpClient;
  },
  current: TokenSet,
  now: () => number = Date.now,
): Promise<RefreshOutcome> {
  const body: Record<string, string> = {
    grant_type: "refresh_token",
    refresh_token: current.refreshToken,
    client_id: target.clientId,
  };
  if (target.platform === "openai") body.scope = "openid profile email";
  const answer = await callTokenEndpoint(target.tokenUrl, body, "json", target.client);
  if (answer.kind === "failed") return answer;
  return readTokenAnswer(answer.status, answer.text, current, now);
}

/** What a token endpoint answered, or why it did not. */
export type EndpointAnswer =
  | { kind: "answer"; status: number; text: string }
  | { kind: "failed"; reason: string };

/**
 * One POST to a token endpoint, as JSON (Claude Code, Codex refreshes) or a
 * form (Codex's code exchange), bounded by {@linkcode REFRESH_TIMEOUT_MS},
 * through `client` (an account's egress proxy) when given. A proxy's 407
 * is a failure to get there, not an answer.
 * Never throws, and no reason names a token or the proxy's credentials.
 */
export async function callTokenEndpoint(
  url: string,
  body: Record<string, string>,
  encoding: "json" | "form",
  client?: Deno.HttpClient,
): Promise<EndpointAnswer> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), REFRESH_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": encoding === "json"
          ? "application/json"
          : "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: encoding === "json" ? JSON.stringify(body) : new URLSearchParams(body).toString(),
      signal: deadline.signal,
      ...(client ? { client } : {}),
    });
    if (response.status === 407) {
      // The proxy's own refusal (its credentials), whatever its body says: a connection failure
      // of the account, never the token endpoint rejecting the refresh token (sign in again).
      await response.body?.cancel();
      return { kind: "failed", reason: "the proxy refused the request (407)" };
    }
    return { kind: "answer", status: response.status, text: await response.text() };
  } catch {
    return {
      kind: "failed",
      reason: deadline.signal.aborted
        ? "token endpoint timed out"
        : `token endpoint unreachable${client ? " through the proxy" : ""}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A token endpoint's answer as new tokens, a rejected grant, or a failure.
 * `previous` supplies what an answer may leave out (a refresh that does not
 * rotate the refresh token, the ChatGPT account id).
 */
export function readTokenAnswer(
  status: number,
  text: string,
  previous: Partial<TokenSet> = {},
  now: () => number = Date.now,
): RefreshOutcome {
  const json = parseObject(text);
  if (status >= 400) {
    const code = errorCode(json);
    if (code && REJECTED_CODES.has(code)) return { kind: "rejected", reason: code };
    return {
      kind: "failed",
      reason: `token endpoint answered ${status}${code ? ` (${code})` : ""}`,
    };
  }
  const accessToken = json?.access_token;
  if (typeof accessToken !== "string" || accessToken === "") {
    return { kind: "failed", reason: "token endpoint sent no access_token" };
  }
  const refreshToken = typeof json?.refresh_token === "string" && json.refresh_token !== ""
    ? json.refresh_token
    : previous.refreshToken;
  if (!refreshToken) return { kind: "failed", reason: "token endpoint sent no refresh_token" };
  const expiresIn = typeof json?.expires_in === "number" ? json.expires_in : undefined;
  const expiresAt = expiresIn !== undefined
    ? now() + expiresIn * 1000
    : jwtExpiry(accessToken) ?? now() + 3600_000;
  const tokens: TokenSet = { accessToken, refreshToken, expiresAt };
  const accountId =
    (typeof json?.id_token === "string" ? chatgptAccountId(json.id_token) : undefined) ??
      previous.accountId;
  if (accountId) tokens.accountId = accountId;
  return { kind: "ok", tokens };
}

/** The `exp` claim of a JWT, as epoch ms. */
export function jwtExpiry(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
}

/** The ChatGPT account id in a Codex id token or access token. */
export function chatgptAccountId(token: string): string | undefined {
  const claims = jwtClaims(token);
  const auth = claims?.["https://api.openai.com/auth"];
  const id = auth !== null && typeof auth === "object"
    ? (auth as Record<string, unknown>).chatgpt_account_id
    : undefined;
  return typeof id === "string" && id !== "" ? id : undefined;
}

/** A JWT's payload, unverified (we only read hints such as `exp` from our own tokens). */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - base64.length % 4) % 4);
    const bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
    return parseObject(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/** `{"error":"invalid_grant"}` (RFC 6749) or `{"error":{"code"|"type":...}}` (OpenAI). */
function errorCode(json: Record<string, unknown> | undefined): string | undefined {
  const error = json?.error;
  if (typeof error === "string") return error;
  if (error !== null && typeof error === "object") {
    const record = error as Record<string, unknown>;
    const code = record.code ?? record.type;
    if (typeof code === "string") return code;
  }
  return undefined;
}
