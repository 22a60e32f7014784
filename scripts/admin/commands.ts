/**
 * The `deno task admin` commands over the management API: keys, accounts,
 * groups, usage and error rules. Each prints a short table or line, or the
 * API's JSON with `--json`.
 *
 * @module
 */

import { errorRuleName } from "../../lib/config/error_rules.ts";
import type { ErrorRule } from "../../lib/config/types.ts";
import {
  CliError,
  type Command,
  need,
  numericFields,
  seconds,
  table,
  type Values,
} from "./context.ts";
import { accountSettings, apiKey, settingsText } from "./account_fields.ts";
import { ACCOUNT_TEST_COMMANDS } from "./account_tests.ts";
import { ALERT_COMMANDS } from "./alerts.ts";
import { loginCommand } from "./login.ts";
import { MONEY_COMMANDS } from "./money.ts";
import { readStdinAll } from "../support/stdin.ts";

type Row = Record<string, unknown>;

const KEY_LIMITS = [["rpm", "rpm"], ["daily-tokens", "dailyTokens"], [
  "concurrency",
  "concurrency",
]] as const;

const enc = encodeURIComponent;

/** Every command, by its words (`keys create`, `usage`, `login-codex`). */
export const COMMANDS: Record<string, (command: Command) => Promise<void>> = {
  async "keys create"({ args, values, call, print }) {
    const body: Row = {
      id: need("<id>", args[0]),
      group: need("--group", values.group),
      ...numericFields(values, KEY_LIMITS, false),
    };
    const created = await call("POST", "/admin/keys", body) as Row;
    print(created, () => [
      `created key "${created.id}" in group "${created.group}"`,
      `${created.key}`,
      "store it now: it is shown only once",
    ]);
  },
  async "keys list"({ call, print }) {
    const keys = await call("GET", "/admin/keys") as Row[];
    print(keys, () =>
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
      ));
  },
  async "keys update"({ args, values, call, print }) {
    const id = need("<id>", args[0]);
    const body: Row = numericFields(values, KEY_LIMITS, true);
    if (typeof values.group === "string") body.group = values.group;
    if (Object.keys(body).length === 0) {
      throw new CliError(
        "nothing to change: give --group, --rpm, --daily-tokens or --concurrency",
        2,
      );
    }
    const key = await call("PUT", `/admin/keys/${enc(id)}`, body) as Row;
    print(key, () => [`updated key "${id}": group ${key.group}, ${limits(key)}`]);
  },
  async "keys revoke"({ args, call, print }) {
    const id = need("<id>", args[0]);
    const result = await call("DELETE", `/admin/keys/${enc(id)}`);
    print(result, () => [`revoked key "${id}"`]);
  },

  async "accounts list"({ call, print }) {
    const accounts = await call("GET", "/admin/accounts") as Row[];
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
  },
  async "accounts add"({ args, values, io, call, print }) {
    const body: Row = {
      id: need("<id>", args[0]),
      platform: need("--platform", values.platform),
      baseUrl: need("--base-url", values["base-url"]),
      apiKey: apiKey(values, io.env, true),
      ...accountSettings(values, false, io.env),
    };
    const row = await call("POST", "/admin/accounts", body) as Row;
    print(row, () => [
      `added account "${row.id}" (${row.platform})${
        settingsText(row)
      }; list it in a group to use it`,
    ]);
  },
  async "accounts update"({ args, values, io, call, print }) {
    const id = need("<id>", args[0]);
    const body: Row = accountSettings(values, true, io.env);
    if (typeof values["base-url"] === "string") body.baseUrl = values["base-url"];
    const key = apiKey(values, io.env, false);
    if (key !== undefined) body.apiKey = key;
    if (Object.keys(body).length === 0) throw new CliError("nothing to change", 2);
    const row = await call("PUT", `/admin/accounts/${enc(id)}`, body) as Row;
    print(
      row,
      () => [`updated account "${id}": priority ${row.priority}, ${row.state}${settingsText(row)}`],
    );
  },
  async "accounts remove"({ args, call, print }) {
    const id = need("<id>", args[0]);
    print(await call("DELETE", `/admin/accounts/${enc(id)}`), () => [`removed account "${id}"`]);
  },
  "accounts reset": (command) => accountAction(command, "reset"),
  "accounts disable": (command) => accountAction(command, "disable"),
  "accounts enable": (command) => accountAction(command, "enable"),

  async "groups list"({ call, print }) {
    const groups = await call("GET", "/admin/groups") as Row[];
    print(groups, () =>
      table(
        ["ID", "ACCOUNTS", "AVOID ABOVE", "ORDER", "ALLOW PATHS", "SOURCE"],
        groups.map((g) => [
          g.id,
          list(g.accounts),
          g.avoidAbovePercent === undefined ? "-" : `${g.avoidAbovePercent}%`,
          g.order ?? "-",
          list(g.allowPaths),
          g.source,
        ]),
      ));
  },
  async "groups add"({ args, values, call, print }) {
    const body = { id: need("<id>", args[0]), ...groupFields(values, {}) };
    const group = await call("POST", "/admin/groups", body) as Row;
    print(group, () => [`added group "${group.id}": ${list(group.accounts)}`]);
  },
  async "groups update"({ args, values, call, print }) {
    const id = need("<id>", args[0]);
    // PUT replaces a group: start from what it is, change what was given.
    const current = await call("GET", `/admin/groups/${enc(id)}`) as Row;
    const { id: _id, source: _source, ...kept } = current;
    const group = await call("PUT", `/admin/groups/${enc(id)}`, groupFields(values, kept)) as Row;
    print(group, () => [`updated group "${id}": ${list(group.accounts)}`]);
  },
  async "groups remove"({ args, call, print }) {
    const id = need("<id>", args[0]);
    print(await call("DELETE", `/admin/groups/${enc(id)}`), () => [`removed group "${id}"`]);
  },

  async usage({ values, call, print }) {
    const query = new URLSearchParams();
    if (typeof values.from === "string") query.set("from", values.from);
    if (typeof values.to === "string") query.set("to", values.to);
    const by = typeof values.by === "string" ? values.by : "key";
    query.set("by", by);
    const report = await call("GET", `/admin/usage?${query}`) as {
      from: string;
      to: string;
      rows: Row[];
      totals: Record<string, number>;
    };
    print(report, () => [
      `usage ${report.from} .. ${report.to} (UTC) by ${by}`,
      ...table(
        [by.toUpperCase(), "REQUESTS", "INPUT", "OUTPUT", "CACHED", "COST USD"],
        [
          ...report.rows.map((r) => [r[by], r.requests, r.input, r.output, r.cached, usd(r)]),
          [
            "total",
            report.totals.requests,
            report.totals.input,
            report.totals.output,
            report.totals.cached,
            usd(report.totals),
          ],
        ],
      ),
    ]);
  },

  "error-rules list": async ({ call, print }) => {
    const view = await call("GET", "/admin/error-rules") as RulesView;
    print(view, () => ruleTable(view));
  },
  "error-rules set": async ({ io, call, print }) => {
    const input = await (io.input ?? readStdinAll)();
    const view = await call("PUT", "/admin/error-rules", parseRules(input)) as RulesView;
    print(view, () => ruleTable(view));
  },
  "error-rules reset": async ({ call, print }) => {
    const view = await call("DELETE", "/admin/error-rules") as RulesView;
    print(view, () => ruleTable(view));
  },

  ...ACCOUNT_TEST_COMMANDS,
  ...MONEY_COMMANDS,
  ...ALERT_COMMANDS,
  "login-codex": (command) => loginCommand(command, "openai"),
  "login-claude": (command) => loginCommand(command, "anthropic"),
};

async function accountAction(
  { args, call, print }: Command,
  action: "reset" | "disable" | "enable",
): Promise<void> {
  const id = need("<id>", args[0]);
  const account = await call("POST", `/admin/accounts/${enc(id)}/${action}`) as Row;
  print(account, () => [`${action} account "${id}": ${account.state}`]);
}

function groupFields(values: Values, current: Row): Row {
  const body: Row = { ...current };
  const split = (raw: string) => raw.split(",").map((part) => part.trim()).filter(Boolean);
  if (typeof values.accounts === "string") body.accounts = split(values.accounts);
  body.accounts ??= [];
  if (typeof values["avoid-above"] === "string") {
    const raw = values["avoid-above"];
    if (raw === "none") delete body.avoidAbovePercent;
    else body.avoidAbovePercent = numericFields(values, [["avoid-above", "x"]], false).x;
  }
  if (typeof values.order === "string") {
    if (values.order === "none") delete body.order;
    else body.order = values.order;
  }
  if (typeof values["allow-paths"] === "string") {
    const paths = split(values["allow-paths"]);
    if (paths.length === 0 || values["allow-paths"] === "none") delete body.allowPaths;
    else body.allowPaths = paths;
  }
  return body;
}

function limits(key: Row): string {
  return [
    key.rpm !== undefined ? `${key.rpm} rpm` : null,
    key.dailyTokens !== undefined ? `${key.dailyTokens} tokens/day` : null,
    key.concurrency !== undefined ? `${key.concurrency} at once` : null,
  ].filter(Boolean).join(", ") || "no limits";
}

/** A usage row's cost; `*` marks a model without a price (counted at 0). */
function usd(row: Row): string {
  const cost = typeof row.costUsd === "number" ? row.costUsd.toFixed(4) : "-";
  return row.unpriced === true ? `${cost} *` : cost;
}

function list(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.join(",") : "-";
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
