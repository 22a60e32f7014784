/**
 * Putting a signed-in subscription account into service, wherever the tokens
 * came from (a browser sign-in, a terminal sign-in, an uploaded `auth.json`
 * or `.credentials.json`): the tokens go to KV, sealed; the account is added
 * to the directory, or kept when it is already a subscription account of the
 * same platform (a new sign-in for it); and its health is reset, which also
 * brings back an account disabled for a dead refresh token.
 *
 * @module
 */

import { ConfigError } from "../../config/errors.ts";
import { Fields } from "../../config/fields.ts";
import type { Platform } from "../../config/types.ts";
import { readAccount } from "../../config/validate.ts";
import { type Directory, DirectoryConflict } from "../../accounts/directory.ts";
import type { AccountStateStore } from "../../accounts/health.ts";
import type { TokenSet } from "./refresh_client.ts";
import type { TokenStore } from "./token_store.ts";

/** The account settings a sign-in may carry besides the tokens. */
export const ENROL_FIELDS = [
  "id",
  "baseUrl",
  "priority",
  "concurrency",
  "passthrough",
] as const;

/** What an enrolment writes to. */
export interface EnrolTarget {
  tokens: TokenStore;
  states: AccountStateStore;
  directory: Directory;
}

/**
 * The config entry a sign-in produces (without tokens: they live in KV). Throws
 * a {@linkcode ConfigError} naming the field when the settings are wrong, and
 * a {@linkcode DirectoryConflict} when the id belongs to another kind of account.
 */
export function enrolmentEntry(
  directory: Directory,
  platform: Platform,
  settings: Record<string, unknown>,
  oauth: { tokenUrl?: string; clientId?: string; accountId?: string },
): Record<string, unknown> {
  const fields = Fields.of(settings, "");
  fields.onlyKnown(ENROL_FIELDS);
  const oauthEntry: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(oauth)) if (value) oauthEntry[name] = value;
  const entry = { ...settings, platform, oauth: oauthEntry };
  readAccount(Fields.of(entry, "")); // every field checked before anything is written
  const existing = directory.account(String(settings.id))?.account;
  if (existing && (!existing.oauth || existing.platform !== platform)) {
    throw new DirectoryConflict(
      `account "${settings.id}" exists and is not a ${
        platform === "openai" ? "Codex" : "Claude"
      } subscription account`,
    );
  }
  return entry;
}

/** Stores the tokens and adds (or keeps) the account; `created` says which. */
export async function enrol(
  target: EnrolTarget,
  entry: Record<string, unknown>,
  tokens: TokenSet,
): Promise<{ id: string; created: boolean }> {
  const id = entry.id;
  if (typeof id !== "string") throw new ConfigError("id", "must be a non-empty string");
  await target.tokens.writeSignIn(id, tokens);
  const existing = target.directory.account(id);
  if (!existing) await target.directory.createAccount(entry);
  else if (tokens.accountId && existing.account.oauth?.accountId !== tokens.accountId) {
    // Signed in as another ChatGPT workspace: requests must name the new one.
    await target.directory.putAccount(id, {
      oauth: { ...entry.oauth as Record<string, unknown>, accountId: tokens.accountId },
    });
  }
  await target.states.reset(id);
  return { id, created: !existing };
}
