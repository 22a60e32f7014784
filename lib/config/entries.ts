/**
 * Readers for the config's entries: one account, one group, one client key
 * (with an account's `healthChecks` and `proxy`). The config loader
 * (`validate.ts`) and the admin API's directory (`lib/accounts/directory.ts`)
 * read entries through these, so a file and an API call are checked alike.
 *
 * @module
 */

import { DEFAULT_PRIORITY } from "./defaults.ts";
import { ConfigError } from "./errors.ts";
import { baseUrl, type Fields, readId } from "./fields.ts";
import { readBudgets } from "./pricing.ts";
import {
  type Account,
  type ClientKey,
  type Group,
  GROUP_ORDERS,
  type HealthChecks,
  PLATFORMS,
} from "./types.ts";
import { defaultOAuthBaseUrl, readOAuth } from "./oauth.ts";
import { proxyProblem } from "../http/proxy_clients.ts";

/** Reads `healthChecks`: `{ everySeconds, model?, recover? }`. */
function readHealthChecks(parent: Fields): HealthChecks {
  const fields = parent.object("healthChecks");
  fields.onlyKnown(["everySeconds", "model", "recover"]);
  const checks: HealthChecks = {
    everySeconds: fields.number("everySeconds", undefined, 1, 7 * 24 * 3600),
  };
  const model = fields.optionalString("model");
  if (model !== undefined) checks.model = model;
  if (fields.has("recover")) checks.recover = fields.boolean("recover", true);
  return checks;
}
/**
 * An account's API key: it travels in a header, so only visible ASCII (a
 * pasted key's surrounding whitespace and line breaks are dropped, as a
 * header's would be). A line break inside would fail every request.
 */
function apiKey(fields: Fields): string {
  const key = fields.string("apiKey").trim();
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new ConfigError(
      fields.at("apiKey"),
      "must be visible ASCII characters, no spaces or line breaks inside (it is sent as a header)",
    );
  }
  return key;
}

/** Reads one account entry. */
export function readAccount(fields: Fields): Account {
  fields.onlyKnown([
    "id",
    "platform",
    "passthrough",
    "baseUrl",
    "apiKey",
    "priority",
    "oauth",
    "concurrency",
    "models",
    "organization",
    "project",
    "healthChecks",
    "proxy",
    "avoidAbovePercent",
  ]);
  const id = readId(fields);
  const platform = fields.oneOf("platform", PLATFORMS);
  if (fields.has("oauth") && fields.has("apiKey")) {
    throw new ConfigError(fields.at("oauth"), "an account has either apiKey or oauth, not both");
  }
  const oauth = fields.has("oauth") ? readOAuth(fields.object("oauth"), platform) : undefined;
  const account: Account = {
    id,
    platform,
    passthrough: fields.boolean("passthrough", false),
    baseUrl: baseUrl(fields, "baseUrl", oauth ? defaultOAuthBaseUrl(platform) : undefined),
    apiKey: oauth ? oauth.accessToken : apiKey(fields),
    priority: fields.number("priority", DEFAULT_PRIORITY, -1e9, 1e9),
  };
  if (oauth) account.oauth = oauth;
  if (fields.has("concurrency")) account.concurrency = fields.integer("concurrency", undefined, 1);
  if (fields.has("models")) account.models = fields.namesOrMap("models");
  for (const name of ["organization", "project"] as const) {
    if (!fields.has(name)) continue;
    if (platform !== "openai" || oauth) {
      throw new ConfigError(fields.at(name), "only OpenAI API key accounts have one");
    }
    const value = fields.string(name);
    if (!/^[\x21-\x7e]{1,200}$/.test(value)) {
      throw new ConfigError(fields.at(name), "must be 1-200 visible ASCII characters");
    }
    account[name] = value;
  }
  if (fields.has("healthChecks")) account.healthChecks = readHealthChecks(fields);
  if (fields.has("proxy")) account.proxy = readProxy(fields);
  if (fields.has("avoidAbovePercent")) {
    account.avoidAbovePercent = fields.number("avoidAbovePercent", undefined, 0, 100);
  }
  return account;
}

/** An account's `proxy` URL (`lib/http/proxy_clients.ts`); the message never repeats it (credentials). */
function readProxy(fields: Fields): string {
  const value = fields.string("proxy");
  const problem = proxyProblem(value);
  if (problem) throw new ConfigError(fields.at("proxy"), problem);
  return value;
}

/** Reads one group entry; every member must be a known account. */
export function readGroup(fields: Fields, accountIds: ReadonlySet<string>): Group {
  fields.onlyKnown([
    "id",
    "accounts",
    "avoidAbovePercent",
    "order",
    "allowPaths",
    "translate",
    "models",
    "allowModels",
    "healthChecks",
    "budgets",
  ]);
  const id = readId(fields);
  const accounts = fields.strings("accounts");
  accounts.forEach((accountId, index) => {
    if (!accountIds.has(accountId)) {
      throw new ConfigError(`${fields.at("accounts")}[${index}]`, `unknown account "${accountId}"`);
    }
    if (accounts.indexOf(accountId) !== index) {
      throw new ConfigError(
        `${fields.at("accounts")}[${index}]`,
        `account "${accountId}" is listed twice`,
      );
    }
  });
  const group: Group = { id, accounts };
  if (fields.has("avoidAbovePercent")) {
    group.avoidAbovePercent = fields.number("avoidAbovePercent", undefined, 0, 100);
  }
  if (fields.has("order")) group.order = fields.oneOf("order", GROUP_ORDERS);
  if (fields.has("allowPaths")) group.allowPaths = fields.pathPatterns("allowPaths");
  if (fields.has("translate")) group.translate = fields.boolean("translate", true);
  if (fields.has("models")) group.models = fields.stringMap("models");
  if (fields.has("allowModels")) group.allowModels = fields.strings("allowModels");
  if (fields.has("healthChecks")) group.healthChecks = readHealthChecks(fields);
  if (fields.has("budgets")) group.budgets = readBudgets(fields, "budgets");
  return group;
}

/** Reads one client key entry; its group must exist. */
export function readKey(fields: Fields, groupIds: ReadonlySet<string>): ClientKey {
  fields.onlyKnown([
    "id",
    "key",
    "group",
    "concurrency",
    "rpm",
    "dailyTokens",
    "allowModels",
    "budgets",
  ]);
  const id = readId(fields);
  const key = fields.string("key");
  if (key.length < 8) throw new ConfigError(fields.at("key"), "must be at least 8 characters");
  const group = fields.string("group");
  if (!groupIds.has(group)) throw new ConfigError(fields.at("group"), `unknown group "${group}"`);
  const clientKey: ClientKey = { id, key, group };
  const concurrency = fields.optionalInteger("concurrency", 1);
  const rpm = fields.optionalInteger("rpm", 1, 1_000_000);
  const dailyTokens = fields.optionalInteger("dailyTokens", 1);
  if (concurrency !== undefined) clientKey.concurrency = concurrency;
  if (rpm !== undefined) clientKey.rpm = rpm;
  if (dailyTokens !== undefined) clientKey.dailyTokens = dailyTokens;
  if (fields.has("allowModels")) clientKey.allowModels = fields.strings("allowModels");
  if (fields.has("budgets")) clientKey.budgets = readBudgets(fields, "budgets");
  return clientKey;
}
