/**
 * OAuth (subscription) account settings: the public defaults of Codex CLI and
 * Claude Code, and the config reader for an account's `oauth` object.
 *
 * An `oauth` object may carry the tokens itself (`accessToken`,
 * `refreshToken`, `expiresAt`) or leave them out when `deno task accounts
 * import-*` stored them in KV. Tokens refreshed at run time always live in KV.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { Fields } from "./fields.ts";
import type { OAuthSettings, Platform } from "./types.ts";

/** Public OAuth client of each platform's CLI, and where an account's API lives. */
export const OAUTH_DEFAULTS: Readonly<
  Record<Platform, { tokenUrl: string; clientId: string; baseUrl: string }>
> = Object.freeze({
  // Codex CLI signs in to ChatGPT with this client.
  openai: {
    tokenUrl: "https://auth.openai.com/oauth/token",
    clientId: "app_EMoamEEZ73f0CkXaXp7hrann",
    baseUrl: "https://chatgpt.com/backend-api/codex",
  },
  // Claude Code signs in to claude.ai with this client (tests/oauth_clients_test.ts checks both).
  anthropic: {
    tokenUrl: "https://platform.claude.com/v1/oauth/token",
    clientId: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
    baseUrl: "https://api.anthropic.com/v1",
  },
});

/**
 * Token URLs that were a platform's public default. Accounts stored in KV
 * carry the token URL they were added with, so when a client moves its token
 * endpoint, the old default goes here and such accounts follow the new one.
 */
export const RETIRED_TOKEN_URLS: Readonly<Record<Platform, readonly string[]>> = Object.freeze({
  openai: [],
  // Claude Code 2.1.332 moved its token endpoint to platform.claude.com.
  anthropic: ["https://console.anthropic.com/v1/oauth/token"],
});

/**
 * Where an account refreshes: its `tokenUrl`, unless that is a retired public
 * default, which means today's default. Any other URL (a proxy, a mock) is kept.
 */
export function currentTokenUrl(platform: Platform, tokenUrl: string): string {
  const trimmed = tokenUrl.replace(/\/+$/, "");
  return RETIRED_TOKEN_URLS[platform].includes(trimmed)
    ? OAUTH_DEFAULTS[platform].tokenUrl
    : trimmed;
}

/** The base URL an OAuth account of this platform gets when the config names none. */
export function defaultOAuthBaseUrl(platform: Platform): string {
  return OAUTH_DEFAULTS[platform].baseUrl;
}

/** Reads an account's `oauth` object. */
export function readOAuth(fields: Fields, platform: Platform): OAuthSettings {
  fields.onlyKnown([
    "accessToken",
    "refreshToken",
    "expiresAt",
    "accountId",
    "tokenUrl",
    "clientId",
  ]);
  const defaults = OAUTH_DEFAULTS[platform];
  const tokenUrl = fields.string("tokenUrl", defaults.tokenUrl);
  try {
    const url = new URL(tokenUrl);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error();
  } catch {
    throw new ConfigError(fields.at("tokenUrl"), "must be an absolute http(s) URL");
  }
  const accessToken = fields.has("accessToken") ? fields.string("accessToken") : "";
  const refreshToken = fields.has("refreshToken") ? fields.string("refreshToken") : "";
  if (accessToken && !refreshToken) {
    throw new ConfigError(
      fields.at("refreshToken"),
      "is required with accessToken (tokens expire; the refresh token renews them)",
    );
  }
  const settings: OAuthSettings = {
    accessToken,
    refreshToken,
    expiresAt: readExpiresAt(fields),
    tokenUrl: currentTokenUrl(platform, tokenUrl),
    clientId: fields.string("clientId", defaults.clientId),
  };
  const accountId = fields.optionalString("accountId");
  if (accountId !== undefined) settings.accountId = accountId;
  return settings;
}

/** `expiresAt` as epoch ms, Unix seconds or an ISO-8601 date; 0 when absent. */
function readExpiresAt(fields: Fields): number {
  const raw = fields.raw.expiresAt;
  if (raw === undefined) return 0;
  if (typeof raw === "number" && Number.isFinite(raw) && raw >= 0) {
    return raw < 1e11 ? raw * 1000 : raw;
  }
  if (typeof raw === "string") {
    const parsed = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (Number.isFinite(parsed)) return parsed < 1e11 ? parsed * 1000 : parsed;
  }
  throw new ConfigError(
    fields.at("expiresAt"),
    "must be epoch milliseconds, Unix seconds or an ISO-8601 date",
  );
}
