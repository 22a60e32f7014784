/**
 * `deno task admin <command>`: a terminal client for a running gateway's
 * management API. It talks HTTP to `--url` (or `SWITCHYARD_URL`, default
 * `http://127.0.0.1:8787`) with `--token` (or `SWITCHYARD_ADMIN_TOKEN`).
 *
 *   keys create <id> --group <group> [--rpm N] [--daily-tokens N] [--concurrency N]
 *   keys list
 *   keys revoke <id>
 *   accounts list
 *   accounts reset <id>
 *   usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by key|account|model]
 *   error-rules list
 *   error-rules set < rules.json     (the whole list, as JSON on stdin)
 *   error-rules reset                (back to the config's rules)
 *
 * Add `--json` to print the API's JSON instead of a table.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { AdminTokenStore } from "../lib/admin/first_run.ts";
import { errorRuleName } from "../lib/config/error_rules.ts";
import { openStore } from "../lib/state/kv.ts";
import type { ErrorRule } from "../lib/config/types.ts";

const USAGE = `usage: deno task admin <command> [options]

commands:
  keys create <id> --group <group> [--rpm N] [--daily-tokens N] [--concurrency N]
  keys list
  keys revoke <id>
  accounts list
  accounts reset <id>
  usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by key|account|model]
  error-rules list
  error-rules set < rules.json     replace the whole list (JSON on stdin)
  error-rules reset                back to the config's rules

options:
  --url <url>      gateway URL (env SWITCHYARD_URL, default http://127.0.0.1:8787)
  --token <token>  admin token (env SWITCHYARD_ADMIN_TOKEN)
  --json           print JSON instead of a table`;

/** Where the CLI reads settings and writes output (tests pass their own). */
export interface AdminIo {
  env(name: string): string | undefined;
  out(line: string): void;
  err(line: string): void;
  /** Everything on standard input (`error-rules set`); the process's stdin by default. */
  input?(): Promise<string>;
}

const processIo: AdminIo = {
  env: (name) => Deno.env.get(name),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

function readStdin(): Promise<string> {
  return new Response(Deno.stdin.readable).text();
}

class CliError extends Error {}

/** Runs one CLI command; resolves with the exit code. */
export async function runAdmin(args: string[], io: AdminIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        json: { type: "boolean", default: false },
        group: { type: "string" },
        rpm: { type: "string" },
        "daily-tokens": { type: "string" },
        concurrency: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        by: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals.join(" ") === "reset-token") return await resetToken(io, values.json);
  const url = (values.url ?? io.env("SWITCHYARD_URL") ?? "http://127.0.0.1:8787").replace(
    /\/+$/,
    "",
  );
  const token = values.token ?? io.env("SWITCHYARD_ADMIN_TOKEN");
  if (!token) {
    io.err("no admin token: pass --token or set SWITCHYARD_ADMIN_TOKEN");
    return 2;
  }

  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CliError(`cannot reach ${url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch { /* not JSON */ }
    if (!response.ok) {
      const message = (data as { error?: { message?: string } })?.error?.message ?? text;
      throw new CliError(`${response.status}: ${message}`);
    }
    return data;
  };
  const print = (data: unknown, table: () => string[]) => {
    for (const line of values.json ? [JSON.stringify(data, null, 2)] : table()) io.out(line);
  };

  const [noun, verb, id] = positionals;
  const need = (what: string, value: string | undefined): string => {
    if (!value) throw new CliError(`missing ${what}\n\n${USAGE}`);
    return value;
  };
  try {
    const command = `${noun} ${verb ?? ""}`.trim();
    switch (command) {
      case "keys create": {
        const body: Record<string, unknown> = {
          id: need("<id>", id),
          group: need("--group", values.group),
        };
        for (
          const [flag, field] of [["rpm", "rpm"], ["daily-tokens", "dailyTokens"], [
            "concurrency",
            "concurrency",
          ]] as const
        ) {
          const raw = values[flag];
          if (raw !== undefined) body[field] = integer(flag, raw);
        }
        const created = await call("POST", "/admin/keys", body) as Record<string, unknown>;
        print(created, () => [
          `created key "${created.id}" in group "${created.group}"`,
          `${created.key}`,
          "store it now: it is shown only once",
        ]);
        return 0;
      }
      case "keys list": {
        const keys = await call("GET", "/admin/keys") as Record<string, unknown>[];
        print(
          keys,
          () =>
            table(
              ["ID", "GROUP", "RPM", "DAILY TOKENS", "CONCURRENCY", "SOURCE"],
              keys.map((k) => [
                k.id,
                k.group,
                k.rpm ?? "-",
                k.dailyTokens ?? "-",
                k.concurrency ?? "-",
                k.source,
              ]),
            ),
        );
        return 0;
      }
      case "keys revoke": {
        const result = await call("DELETE", `/admin/keys/${encodeURIComponent(need("<id>", id))}`);
        print(result, () => [`revoked key "${id}"`]);
        return 0;
      }
      case "accounts list": {
        const accounts = await call("GET", "/admin/accounts") as Record<string, unknown>[];
        const now = Date.now();
        print(accounts, () =>
          table(
            ["ID", "PLATFORM", "STATE", "BACK IN", "REASON", "STRIKES", "SOURCE"],
            accounts.map((a) => [
              a.id,
              a.platform,
              a.state,
              typeof a.until === "string" ? seconds(Date.parse(a.until) - now) : "-",
              a.reason ?? "-",
              a.strikes,
              a.source ?? "-",
            ]),
          ));
        return 0;
      }
      case "accounts reset": {
        const path = `/admin/accounts/${encodeURIComponent(need("<id>", id))}/reset`;
        const account = await call("POST", path) as Record<string, unknown>;
        print(account, () => [`reset account "${id}": ${account.state}`]);
        return 0;
      }
      case "usage": {
        const query = new URLSearchParams();
        if (values.from) query.set("from", values.from);
        if (values.to) query.set("to", values.to);
        const by = values.by ?? "key";
        query.set("by", by);
        const report = await call("GET", `/admin/usage?${query}`) as {
          from: string;
          to: string;
          rows: Record<string, unknown>[];
          totals: Record<string, number>;
        };
        print(report, () => [
          `usage ${report.from} .. ${report.to} (UTC) by ${by}`,
          ...table(
            [by.toUpperCase(), "REQUESTS", "INPUT", "OUTPUT", "CACHED"],
            [
              ...report.rows.map((r) => [r[by], r.requests, r.input, r.output, r.cached]),
              [
                "total",
                report.totals.requests,
                report.totals.input,
                report.totals.output,
                report.totals.cached,
              ],
            ],
          ),
        ]);
        return 0;
      }
      case "error-rules list":
      case "error-rules set":
      case "error-rules reset": {
        const view = verb === "list"
          ? await call("GET", "/admin/error-rules")
          : verb === "set"
          ? await call("PUT", "/admin/error-rules", parseRules(await (io.input ?? readStdin)()))
          : await call("DELETE", "/admin/error-rules");
        print(view, () => ruleTable(view as RulesView));
        return 0;
      }
      default:
        io.err(`unknown command "${positionals.join(" ")}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`admin: ${error.message}`);
      return 1;
    }
    throw error;
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

/** `GET /admin/error-rules`, as far as the table needs it. */
interface RulesView {
  source: string;
  errorRules: ErrorRule[];
}

function parseRules(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError("error-rules set reads a JSON list of rules on stdin");
  }
}

function ruleTable(view: RulesView): string[] {
  const list = (value: unknown) => Array.isArray(value) ? value.join(",") : "-";
  return [
    `error rules from the ${view.source}${view.errorRules.length === 0 ? ": none" : ""}`,
    ...(view.errorRules.length === 0 ? [] : table(
      ["NAME", "STATUS", "MATCH", "ACTION", "COOLDOWN", "SCOPE", "CLIENT SEES"],
      view.errorRules.map((rule, index) => [
        errorRuleName(rule, index),
        list(rule.status),
        rule.match ?? "-",
        rule.action,
        rule.cooldownSeconds === undefined ? "-" : `${rule.cooldownSeconds}s`,
        [list(rule.platforms), list(rule.accounts)].filter((s) => s !== "-").join(" ") || "-",
        [rule.clientStatus, rule.clientMessage].filter((c) => c !== undefined).join(" ") || "-",
      ]),
    )),
  ];
}

function integer(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new CliError(`--${flag} must be a whole number`);
  return value;
}

function seconds(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

function table(header: string[], rows: unknown[][]): string[] {
  const cells = [header, ...rows.map((row) => row.map((cell) => String(cell)))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) =>
    row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()
  );
}

if (import.meta.main) Deno.exit(await runAdmin(Deno.args));
