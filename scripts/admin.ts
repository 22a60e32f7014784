/**
 * `deno task admin <command>`: a terminal client for a running gateway's
 * management API. It talks HTTP to `--url` (or `SWITCHYARD_URL`, default
 * `http://127.0.0.1:8787`) with `--token` (or `SWITCHYARD_ADMIN_TOKEN`);
 * `reset-token` alone opens the KV itself. The commands live in
 * `scripts/admin/`. Add `--json` to print the API's JSON instead of a table.
 *
 * @module
 */

import { AdminTokenStore } from "../lib/routes/admin/admin_token.ts";
import { openStore } from "../lib/kv/open.ts";
import { COMMANDS } from "./admin/commands.ts";
import { type AdminIo, apiClient, CliError, type Values } from "./admin/context.ts";
import { PROCESS_IO, readCommandLine } from "./support/process_io.ts";

export type { AdminIo };

const USAGE = `usage: deno task admin <command> [options]

commands:
  keys list
  keys create <id> --group <group> [--rpm N] [--daily-tokens N] [--concurrency N]
  keys update <id> [--group <group>] [--rpm N|none] [--daily-tokens N|none] [--concurrency N|none]
  keys revoke <id>
  accounts list
  accounts add <id> --platform openai|anthropic --base-url URL --api-key-env NAME
               [--priority N] [--concurrency N] [--passthrough] [--avoid-above N]
               [--proxy-env NAME | --proxy URL]
  accounts update <id> [--base-url URL] [--api-key-env NAME] [--priority N]
               [--concurrency N|none] [--passthrough|--no-passthrough] [--avoid-above N|none]
               [--proxy-env NAME | --proxy URL|none]
               --avoid-above: plan the account last while its 5-hour or weekly window is
               above N % used; --proxy: http://, https:// or socks5://[user:pass@]host:port
  accounts remove|reset|disable|enable <id>
  accounts test <id>|--all [--model M] [--prompt TEXT] [--recover]
               one small request through that account only, or through every account
               with --all (one line each; exit 1 when any fails)
  login-codex | login-claude [--id ID] [--priority N] [--concurrency N] [--base-url URL]
               sign a subscription in: open the printed address, paste back the answer
  groups list
  groups add <id> --accounts a,b [--avoid-above N] [--order least-recently-used|resets-first]
               [--allow-paths /v1/files,/v1/files/*]
  groups update <id> [--accounts a,b] [--avoid-above N|none] [--order ...|none]
               [--allow-paths ...|none]
  groups remove <id>
  usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by key|account|model|group]
  pricing list                     overrides in force and the snapshot's source and date
  pricing set <model> --input N --output N [--cached-input N] [--cache-write N]
               [--cache-write-1h N] [--reasoning N]   (USD per 1M tokens; * wildcards)
  pricing remove <model> | pricing reset
  keys budget <id> --per day|week|month|5h --usd N|none [--alert-at 0.8]
  groups budget <id> --per day|week|month|5h --usd N|none [--alert-at 0.8]
  budgets list                     each budget's spend and reset
  alerts list                      webhooks (URL path and secret never shown) and last deliveries
  alerts set < alerts.json         replace the settings: {"webhooks": [...], "quotaPercent"?}
                                   (a webhook given by id alone keeps its stored URL and secret)
  alerts test                      send a test event to every webhook (exit 1 when one fails)
  error-rules list
  error-rules set < rules.json     replace the whole list (JSON on stdin)
  error-rules reset                back to the config's rules
  reset-token                      a new admin token (opens SWITCHYARD_KV itself)

options:
  --url <url>      gateway URL (env SWITCHYARD_URL, default http://127.0.0.1:8787)
  --token <token>  admin token (env SWITCHYARD_ADMIN_TOKEN)
  --json           print JSON instead of a table
  --api-key-env    the variable holding an account's API key (--api-key VALUE works too,
                   but leaves the key in your shell history)`;

const STRING_OPTIONS = [
  "url",
  "token",
  "group",
  "rpm",
  "daily-tokens",
  "concurrency",
  "from",
  "to",
  "by",
  "id",
  "platform",
  "base-url",
  "api-key",
  "api-key-env",
  "priority",
  "accounts",
  "avoid-above",
  "allow-paths",
  "authorize-url",
  "token-url",
  "client-id",
  "model",
  "prompt",
  "input",
  "output",
  "cached-input",
  "cache-write",
  "cache-write-1h",
  "reasoning",
  "usd",
  "per",
  "alert-at",
  "proxy",
  "proxy-env",
  "order",
];

const processIo: AdminIo = PROCESS_IO;

/** Runs one CLI command; resolves with the exit code. */
export async function runAdmin(args: string[], io: AdminIo = processIo): Promise<number> {
  const parsed = readCommandLine(args, {
    ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: "string" as const }])),
    json: { type: "boolean", default: false },
    passthrough: { type: "boolean" },
    "no-passthrough": { type: "boolean" },
    recover: { type: "boolean" },
    all: { type: "boolean" },
    help: { type: "boolean", short: "h", default: false },
  }, { err: (line) => io.err(line), usage: USAGE });
  if (!parsed) return 2;
  const values = parsed.values as Values;
  const positionals = parsed.positionals;
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals.join(" ") === "reset-token") return await resetToken(io, values.json === true);
  const [noun, verb] = positionals;
  const twoWords = `${noun} ${verb ?? ""}`.trim();
  const name = COMMANDS[twoWords] ? twoWords : COMMANDS[noun] ? noun : undefined;
  if (!name) {
    io.err(`unknown command "${positionals.join(" ")}"\n\n${USAGE}`);
    return 2;
  }
  const url = (typeof values.url === "string" ? values.url : undefined) ??
    io.env("SWITCHYARD_URL") ?? "http://127.0.0.1:8787";
  const token = (typeof values.token === "string" ? values.token : undefined) ??
    io.env("SWITCHYARD_ADMIN_TOKEN");
  if (!token) {
    io.err("no admin token: pass --token or set SWITCHYARD_ADMIN_TOKEN");
    return 2;
  }
  try {
    await COMMANDS[name]({
      io,
      values,
      args: positionals.slice(name.split(" ").length),
      call: apiClient(url.replace(/\/+$/, ""), token),
      print: (data, human) => {
        for (const line of values.json ? [JSON.stringify(data, null, 2)] : human()) io.out(line);
      },
    });
    return 0;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.err(`admin: ${error.message}${error.code === 2 ? `\n\n${USAGE}` : ""}`);
    return error.code;
  }
}

/**
 * `reset-token`: a new KV-stored admin token, for a gateway started without
 * `SWITCHYARD_ADMIN_TOKEN`. It opens the KV itself (`SWITCHYARD_KV`), so only
 * someone with access to the KV file can do it; running gateways accept the
 * new token, and refuse the old one, from their next admin request.
 */
async function resetToken(io: AdminIo, json: boolean): Promise<number> {
  const setting = io.env("SWITCHYARD_KV");
  let store;
  try {
    store = await openStore(setting, io.env("DENO_DEPLOYMENT_ID") !== undefined);
  } catch (error) {
    io.err(`admin: ${(error as Error).message}`);
    return 1;
  }
  try {
    const token = await new AdminTokenStore(store.kv).reset();
    const where = setting ?? "./data/switchyard.kv";
    if (json) io.out(JSON.stringify({ token, kv: where }, null, 2));
    else {
      io.out(`new admin token for the gateway on ${where} (shown this once):`);
      io.out(token);
      io.out("the old token stops working at once; SWITCHYARD_ADMIN_TOKEN, where set, still wins");
    }
    return 0;
  } finally {
    store.kv.close();
  }
}

if (import.meta.main) Deno.exit(await runAdmin(Deno.args));
