/**
 * Reading the credential files that Codex CLI and Claude Code write when a
 * user signs in, so accounts can be added without copying tokens by hand:
 * - Codex CLI `~/.codex/auth.json`:
 *   `{"tokens": {"id_token", "access_token", "refresh_token", "account_id"}, "last_refresh"}`;
 * - Claude Code `~/.claude/.credentials.json`:
 *   `{"claudeAiOauth": {"accessToken", "refreshToken", "expiresAt", "scopes", "subscriptionType"}}`.
 *
 * Pure: text in, tokens out. Errors name the file and the missing field, never a token.
 *
 * @module
 */

import type { Platform } from "../../config/types.ts";
import { chatgptAccountId, jwtExpiry, type TokenSet } from "./refresh_client.ts";

/** An account read from a credential file. */
export interface ImportedAccount {
  platform: Platform;
  tokens: TokenSet;
  /** A suggested account id, e.g. `codex-1a2b3c4d`. */
  suggestedId: string;
}

/** A credential file that cannot be imported. */
export class ImportError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "ImportError";
  }
}

/** Reads a Codex CLI `auth.json`. */
export function parseCodexAuth(text: string, path: string): ImportedAccount {
  const json = parse(text, path);
  const tokens = object(json.tokens);
  if (!tokens) {
    if (typeof json.OPENAI_API_KEY === "string" && json.OPENAI_API_KEY) {
      throw new ImportError(
        path,
        "holds an API key, not a ChatGPT sign-in; add it as an account with apiKey",
      );
    }
    throw new ImportError(path, "has no tokens object; run `codex login` first");
  }
  const accessToken = string(tokens.access_token, path, "tokens.access_token");
  const refreshToken = string(tokens.refresh_token, path, "tokens.refresh_token");
  const accountId = (typeof tokens.account_id === "string" && tokens.account_id) ||
    (typeof tokens.id_token === "string" ? chatgptAccountId(tokens.id_token) : undefined) ||
    chatgptAccountId(accessToken);
  const set: TokenSet = { accessToken, refreshToken, expiresAt: jwtExpiry(accessToken) ?? 0 };
  if (accountId) set.accountId = accountId;
  return {
    platform: "openai",
    tokens: set,
    suggestedId: `codex-${slug(accountId)}`,
  };
}

/** Reads a Claude Code `.credentials.json`. */
export function parseClaudeCredentials(text: string, path: string): ImportedAccount {
  const json = parse(text, path);
  const oauth = object(json.claudeAiOauth);
  if (!oauth) throw new ImportError(path, "has no claudeAiOauth object; run `claude` and sign in");
  const accessToken = string(oauth.accessToken, path, "claudeAiOauth.accessToken");
  const refreshToken = string(oauth.refreshToken, path, "claudeAiOauth.refreshToken");
  const expiresAt = typeof oauth.expiresAt === "number" && Number.isFinite(oauth.expiresAt)
    ? (oauth.expiresAt < 1e11 ? oauth.expiresAt * 1000 : oauth.expiresAt)
    : 0;
  return {
    platform: "anthropic",
    tokens: { accessToken, refreshToken, expiresAt },
    suggestedId: `claude-${slug(undefined)}`,
  };
}

/** The config entry for an imported account; with `withTokens` false the tokens stay in KV. */
export function configEntry(
  id: string,
  imported: ImportedAccount,
  withTokens: boolean,
): Record<string, unknown> {
  const oauth: Record<string, unknown> = {};
  if (withTokens) {
    oauth.accessToken = imported.tokens.accessToken;
    oauth.refreshToken = imported.tokens.refreshToken;
    if (imported.tokens.expiresAt) oauth.expiresAt = imported.tokens.expiresAt;
  }
  if (imported.tokens.accountId) oauth.accountId = imported.tokens.accountId;
  return { id, platform: imported.platform, oauth };
}

function parse(text: string, path: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ImportError(path, "is not valid JSON");
  }
  const record = object(json);
  if (!record) throw new ImportError(path, "must hold a JSON object");
  return record;
}

function object(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

function string(value: unknown, path: string, field: string): string {
  if (typeof value !== "string" || value === "") {
    throw new ImportError(path, `${field} is missing`);
  }
  return value;
}

function slug(accountId: string | undefined): string {
  const base = (accountId ?? crypto.randomUUID()).replace(/[^A-Za-z0-9]/g, "").toLowerCase();
  return base.slice(0, 8) || "1";
}
