/**
 * Account onboarding from a terminal, on the gateway's KV.
 *
 *   deno task accounts login-codex   [--id ID] [--add] [--print] [--base-url URL]
 *   deno task accounts login-claude  [--id ID] [--add] [--print] [--base-url URL]
 *   deno task accounts import-codex  [path] [--id ID] [--add] [--print]
 *   deno task accounts import-claude [path] [--id ID] [--add] [--print]
 *
 * `login-*` signs a subscription in with the provider's own public client
 * (OAuth authorization code with PKCE, `lib/providers/oauth/authorize.ts`): it prints
 * the address to open, in a browser on any machine, and reads back what the
 * provider hands over (the address the browser ends on for Codex, the code
 * Claude shows). `import-codex` reads Codex CLI's `auth.json` (default
 * `~/.codex/auth.json`, or `$CODEX_HOME/auth.json`); `import-claude` reads
 * Claude Code's `.credentials.json` (default `~/.claude/.credentials.json`).
 *
 * The tokens go into KV (`SWITCHYARD_KV`), encrypted under `SWITCHYARD_SECRET`
 * (or the generated `switchyard.secret` beside a local KV file, as the
 * gateway uses), and the config entry (without tokens) is printed. `--add`
 * also adds the account to the gateway's accounts in KV, as the dashboard
 * does. With `--print` nothing is written: the full entry, tokens included,
 * is printed. `--authorize-url`, `--token-url`, `--client-id` and
 * `--redirect-uri` override the public client's settings (a proxy on a closed
 * network, a mock in tests).
 *
 * @module
 */

import { loadConfigOrEmpty } from "../lib/config/load.ts";
import { ConfigError } from "../lib/config/errors.ts";
import type { Platform } from "../lib/config/types.ts";
import { localSecret } from "../lib/crypto/local_secret.ts";
import { SecretBox } from "../lib/crypto/secret_box.ts";
import { Directory, DirectoryConflict } from "../lib/accounts/directory.ts";
import {
  authorizationUrl,
  exchangeCode,
  parseReturned,
  type SignInOverrides,
  signInProfile,
  stateProblem,
} from "../lib/providers/oauth/authorize.ts";
import { enrol, enrolmentEntry } from "../lib/providers/oauth/enrol.ts";
import {
  configEntry,
  type ImportedAccount,
  ImportError,
  parseClaudeCredentials,
  parseCodexAuth,
} from "../lib/providers/oauth/import.ts";
import { newPkce, newState } from "../lib/providers/oauth/pkce.ts";
import { TokenStore } from "../lib/providers/oauth/token_store.ts";
import { AccountStateStore } from "../lib/accounts/health.ts";
import { openStore } from "../lib/kv/open.ts";
import { PROCESS_IO, readCommandLine } from "./support/process_io.ts";

const USAGE = `usage: deno task accounts <command> [options]

commands:
  login-codex  | login-claude        sign a subscription in (prints an address to open)
  import-codex | import-claude [path] read a Codex auth.json / Claude .credentials.json

options:
  --id ID          the account id (default: one derived from the sign-in)
  --add            also add the account to the gateway's accounts in KV
  --print          write nothing; print the config entry with its tokens
  --base-url URL   the account's API base URL (with --add)
  --authorize-url URL, --token-url URL, --client-id ID, --redirect-uri URL
                   override the public client's sign-in settings`;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Where the command reads and writes (tests pass their own). */
export interface AccountsIo {
  env(name: string): string | undefined;
  out(line: string): void;
  err(line: string): void;
  /** One line the user typed or pasted. */
  readLine(): Promise<string>;
}

const processIo: AccountsIo = PROCESS_IO;

class Failure extends Error {}

/** Runs the command; returns the exit code. */
export async function main(args: string[], io: AccountsIo = processIo): Promise<number> {
  const parsed = readCommandLine(args, {
    id: { type: "string" },
    add: { type: "boolean", default: false },
    print: { type: "boolean", default: false },
    "base-url": { type: "string" },
    "authorize-url": { type: "string" },
    "token-url": { type: "string" },
    "client-id": { type: "string" },
    "redirect-uri": { type: "string" },
  }, { err: (line) => io.err(line), usage: USAGE, prefix: "switchyard: " });
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const [command, path, ...extra] = positionals;
  const platform: Platform | undefined = command?.endsWith("-codex")
    ? "openai"
    : command?.endsWith("-claude")
    ? "anthropic"
    : undefined;
  const kind = command?.split("-")[0];
  if (!platform || (kind !== "login" && kind !== "import") || extra.length > 0) {
    io.err(USAGE);
    return 2;
  }
  if (kind === "login" && path !== undefined) {
    io.err(`switchyard: ${command} takes no path\n\n${USAGE}`);
    return 2;
  }
  if (values.id !== undefined && !ID_PATTERN.test(values.id)) {
    io.err("switchyard: --id must be 1-64 letters, digits, '.', '_' or '-'");
    return 2;
  }
  try {
    const overrides: SignInOverrides = {
      authorizeUrl: values["authorize-url"],
      tokenUrl: values["token-url"],
      clientId: values["client-id"],
      redirectUri: values["redirect-uri"],
    };
    const imported = kind === "login"
      ? await signIn(platform, overrides, io)
      : await readFile(platform, path, io);
    const id = values.id ?? imported.suggestedId;
    if (values.print) {
      io.out(JSON.stringify(configEntry(id, imported, true), null, 2));
      return 0;
    }
    const oauth = { tokenUrl: overrides.tokenUrl, clientId: overrides.clientId };
    await store(id, imported, { add: values.add, baseUrl: values["base-url"], oauth }, io);
    return 0;
  } catch (error) {
    if (error instanceof Failure || error instanceof ImportError) {
      io.err(`switchyard: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** The authorization-code flow in a terminal. */
async function signIn(
  platform: Platform,
  overrides: SignInOverrides,
  io: AccountsIo,
): Promise<ImportedAccount> {
  const profile = signInProfile(platform, overrides);
  const pkce = await newPkce();
  const state = newState();
  io.err("Open this address in a browser (on any machine) and sign in:");
  io.out(authorizationUrl(profile, pkce.challenge, state));
  io.err(
    platform === "openai"
      ? "Then the browser goes to http://127.0.0.1:1455/auth/callback?code=..., a page that may " +
        "not load: copy that whole address from the address bar and paste it here:"
      : "Then Claude shows a code: copy it and paste it here:",
  );
  const returned = parseReturned(await io.readLine());
  if (!returned.ok) throw new Failure(returned.message);
  const problem = stateProblem(returned, state);
  if (problem) throw new Failure(`${problem}: start again`);
  const exchanged = await exchangeCode(profile, returned.code, pkce.verifier, state);
  if (!exchanged.ok) throw new Failure(exchanged.message);
  const tokens = exchanged.tokens;
  const tag = (tokens.accountId ?? crypto.randomUUID()).replace(/[^A-Za-z0-9]/g, "").slice(0, 8);
  return {
    platform,
    tokens,
    suggestedId: `${platform === "openai" ? "codex" : "claude"}-${tag.toLowerCase() || "1"}`,
  };
}

async function readFile(
  platform: Platform,
  path: string | undefined,
  io: AccountsIo,
): Promise<ImportedAccount> {
  const home = io.env("HOME") ?? io.env("USERPROFILE") ?? ".";
  const file = path ??
    (platform === "openai"
      ? `${io.env("CODEX_HOME") ?? `${home}/.codex`}/auth.json`
      : `${home}/.claude/.credentials.json`);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Failure(`${file}: file not found`);
    throw new Failure(`${file}: ${(error as Error).message}`);
  }
  return platform === "openai" ? parseCodexAuth(text, file) : parseClaudeCredentials(text, file);
}

/** Seals the tokens into KV, resets the account's health, and with `add` adds the account. */
async function store(
  id: string,
  imported: ImportedAccount,
  options: { add: boolean; baseUrl?: string; oauth: { tokenUrl?: string; clientId?: string } },
  io: AccountsIo,
): Promise<void> {
  const setting = io.env("SWITCHYARD_KV");
  let opened;
  try {
    opened = await openStore(setting, io.env("DENO_DEPLOYMENT_ID") !== undefined);
  } catch (error) {
    throw new Failure((error as Error).message);
  }
  const { kv, filePath } = opened;
  try {
    const secret = io.env("SWITCHYARD_SECRET") ||
      (filePath ? (await localSecret(filePath)).secret : undefined);
    if (!secret) {
      throw new Failure(
        "SWITCHYARD_SECRET is not set: it encrypts the tokens in KV (or use --print)",
      );
    }
    const tokens = new TokenStore(kv, await SecretBox.fromSecret(secret, "oauth-tokens"));
    const states = new AccountStateStore(kv, () => Number.MAX_SAFE_INTEGER);
    const entry = configEntry(id, imported, false);
    if (!options.add) {
      await tokens.writeSignIn(id, imported.tokens);
      // A fresh sign-in brings back an account disabled for a dead refresh token.
      await states.reset(id);
      io.err(`switchyard: stored the tokens of "${id}" in KV; add this entry to accounts:`);
      io.out(JSON.stringify(entry, null, 2));
      return;
    }
    const { config } = await loadConfigOrEmpty(io.env);
    const box = await SecretBox.fromSecret(secret, "account-secrets");
    const directory = await Directory.open({ kv, config, box });
    const settings: Record<string, unknown> = { id };
    if (options.baseUrl) settings.baseUrl = options.baseUrl;
    let full;
    try {
      full = enrolmentEntry(directory, imported.platform, settings, {
        ...options.oauth,
        accountId: imported.tokens.accountId,
      });
    } catch (error) {
      if (error instanceof ConfigError || error instanceof DirectoryConflict) {
        throw new Failure(error.message);
      }
      throw error;
    }
    const { created } = await enrol({ tokens, states, directory }, full, imported.tokens);
    io.err(
      created
        ? `switchyard: added account "${id}"; list it in a group to use it`
        : `switchyard: signed account "${id}" in again`,
    );
    io.out(JSON.stringify(entry, null, 2));
  } finally {
    kv.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
