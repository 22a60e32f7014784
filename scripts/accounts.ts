/**
 * Account onboarding without copy-paste.
 *
 *   deno task accounts import-codex  [path] [--id ID] [--print]
 *   deno task accounts import-claude [path] [--id ID] [--print]
 *
 * `import-codex` reads Codex CLI's `auth.json` (default `~/.codex/auth.json`,
 * or `$CODEX_HOME/auth.json`); `import-claude` reads Claude Code's
 * `.credentials.json` (default `~/.claude/.credentials.json`). By default the
 * tokens go into KV (`SWITCHYARD_KV`), encrypted under `SWITCHYARD_SECRET`,
 * and the config entry to add (without tokens) is printed. With `--print`
 * nothing is written: the full config entry, tokens included, is printed.
 *
 * @module
 */

import { SecretBox } from "../lib/crypto/secret_box.ts";
import {
  configEntry,
  type ImportedAccount,
  ImportError,
  parseClaudeCredentials,
  parseCodexAuth,
} from "../lib/oauth/import.ts";
import { TokenStore } from "../lib/oauth/token_store.ts";
import { AccountStateStore } from "../lib/state/account_state.ts";
import { openStore } from "../lib/state/kv.ts";

const USAGE = "usage: deno task accounts import-codex|import-claude [path] [--id ID] [--print]";
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  let path: string | undefined;
  let id: string | undefined;
  let printOnly = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--print") printOnly = true;
    else if (rest[i] === "--id") id = rest[++i];
    else if (!rest[i].startsWith("--") && path === undefined) path = rest[i];
    else return fail(USAGE);
  }
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
  let parse: (text: string, path: string) => ImportedAccount;
  if (command === "import-codex") {
    path ??= `${Deno.env.get("CODEX_HOME") ?? `${home}/.codex`}/auth.json`;
    parse = parseCodexAuth;
  } else if (command === "import-claude") {
    path ??= `${home}/.claude/.credentials.json`;
    parse = parseClaudeCredentials;
  } else {
    return fail(USAGE);
  }
  if (id !== undefined && !ID_PATTERN.test(id)) {
    return fail("--id must be 1-64 letters, digits, '.', '_' or '-'");
  }

  let imported: ImportedAccount;
  try {
    imported = parse(await Deno.readTextFile(path), path);
  } catch (error) {
    if (error instanceof ImportError) return fail(error.message);
    if (error instanceof Deno.errors.NotFound) return fail(`${path}: file not found`);
    return fail(`${path}: ${(error as Error).message}`);
  }
  const accountId = id ?? imported.suggestedId;

  if (printOnly) {
    console.log(JSON.stringify(configEntry(accountId, imported, true), null, 2));
    return 0;
  }
  const secret = Deno.env.get("SWITCHYARD_SECRET");
  if (!secret) {
    return fail("SWITCHYARD_SECRET is not set: it encrypts the tokens in KV (or use --print)");
  }
  const { kv } = await openStore(
    Deno.env.get("SWITCHYARD_KV"),
    Deno.env.get("DENO_DEPLOYMENT_ID") !== undefined,
  );
  try {
    const store = new TokenStore(kv, await SecretBox.fromSecret(secret, "oauth-tokens"));
    await store.writeSignIn(accountId, imported.tokens);
    // A fresh sign-in brings back an account disabled for a dead refresh token.
    await new AccountStateStore(kv, () => Number.MAX_SAFE_INTEGER).reset(accountId);
  } catch (error) {
    return fail((error as Error).message);
  } finally {
    kv.close();
  }
  console.error(
    `switchyard: stored the tokens of "${accountId}" in KV; add this entry to accounts:`,
  );
  console.log(JSON.stringify(configEntry(accountId, imported, false), null, 2));
  return 0;
}

function fail(message: string): number {
  console.error(`switchyard: ${message}`);
  return 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
