/**
 * Turns untrusted JSON into a {@linkcode Config}: expands `${VAR}` secrets,
 * fills defaults field by field and checks every cross-reference (a group
 * naming an unknown account, a key naming an unknown group). Pure: the
 * environment comes in as a function, so tests need no real variables.
 *
 * @module
 */

import {
  DEFAULT_FAILOVER,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_PRIORITY,
  MAX_PROBE_SECONDS,
} from "./defaults.ts";
import { type EnvLookup, expandEnv } from "./env_expand.ts";
import { ConfigError } from "./errors.ts";
import { baseUrl, Fields, readId } from "./fields.ts";
import { readErrorRules } from "./error_rules.ts";
import { readCors } from "./cors.ts";
import { readAlerts } from "./alerts.ts";
import { readBudgets, readPricing } from "./pricing.ts";
import {
  type Account,
  type ClientKey,
  type Config,
  type FailoverPolicy,
  type Group,
  GROUP_ORDERS,
  type HealthChecks,
  PLATFORMS,
  type WebSocketSettings,
} from "./types.ts";
import { defaultOAuthBaseUrl, readOAuth } from "./oauth.ts";
import { proxyProblem } from "../http/proxy_clients.ts";

export { readId };

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

/** Validates a parsed config document; throws {@linkcode ConfigError} on the first problem. */
export function validateConfig(document: unknown, env: EnvLookup): Config {
  const root = Fields.of(expandEnv(document, env), "");
  root.onlyKnown([
    "$schema",
    "failover",
    "maxRequestBytes",
    "accounts",
    "groups",
    "keys",
    "queueTimeoutSeconds",
    "bodyTimeoutSeconds",
    "errorRules",
    "cors",
    "websocket",
    "alerts",
    "pricing",
  ]);
  const failover = readFailover(root.object("failover"));
  const maxRequestBytes = root.integer("maxRequestBytes", DEFAULT_MAX_REQUEST_BYTES, 1);

  const accounts = sectionOf(root, "accounts").map(readAccount);
  unique(accounts, "accounts");
  const accountIds = new Set(accounts.map((account) => account.id));

  const groups = sectionOf(root, "groups").map((fields) => readGroup(fields, accountIds));
  unique(groups, "groups");
  const groupIds = new Set(groups.map((group) => group.id));

  const keys = sectionOf(root, "keys").map((fields) => readKey(fields, groupIds));
  unique(keys, "keys");
  const secrets = new Set<string>();
  keys.forEach((key, index) => {
    if (secrets.has(key.key)) throw new ConfigError(`keys[${index}].key`, "is used by another key");
    secrets.add(key.key);
  });

  const errorRules = root.has("errorRules") ? readErrorRules(root, "errorRules") : [];
  const config: Config = { failover, maxRequestBytes, accounts, groups, keys, errorRules };
  if (root.has("queueTimeoutSeconds")) {
    config.queueTimeoutSeconds = root.number("queueTimeoutSeconds", undefined, 0, 3600);
  }
  if (root.has("bodyTimeoutSeconds")) {
    config.bodyTimeoutSeconds = root.number("bodyTimeoutSeconds", undefined, 0.1, 3600);
  }
  if (root.has("cors")) config.cors = readCors(root.object("cors"));
  if (root.has("websocket")) config.websocket = readWebSocket(root.object("websocket"));
  if (root.has("alerts")) config.alerts = readAlerts(root.object("alerts"));
  if (root.has("pricing")) config.pricing = readPricing(root, "pricing");
  return config;
}

/** `accounts`, `groups` and `keys` may be left out: an empty gateway is filled in from the dashboard. */
function sectionOf(root: Fields, name: string): Fields[] {
  return root.has(name) ? root.objects(name) : [];
}

/** Reads a `failover` object; absent fields keep their defaults. */
export function readFailover(fields: Fields): FailoverPolicy {
  fields.onlyKnown([
    "maxSwitches",
    "headersTimeoutSeconds",
    "forbiddenStrikes",
    "cooldownSeconds",
    "passthroughStatuses",
    "standardStatuses",
    "preambleHoldSeconds",
    "probeSeconds",
  ]);
  const defaults = DEFAULT_FAILOVER;
  const cooldown = fields.object("cooldownSeconds");
  cooldown.onlyKnown(Object.keys(defaults.cooldownSeconds));
  const seconds = (name: keyof FailoverPolicy["cooldownSeconds"]) =>
    cooldown.number(name, defaults.cooldownSeconds[name], 0);
  const policy: FailoverPolicy = {
    maxSwitches: fields.integer("maxSwitches", defaults.maxSwitches, 0, 100),
    headersTimeoutSeconds: fields.number(
      "headersTimeoutSeconds",
      defaults.headersTimeoutSeconds,
      0.001,
    ),
    forbiddenStrikes: fields.integer("forbiddenStrikes", defaults.forbiddenStrikes, 1),
    cooldownSeconds: {
      forbidden: seconds("forbidden"),
      rateLimited: seconds("rateLimited"),
      overloaded: seconds("overloaded"),
      serverError: seconds("serverError"),
      unreachable: seconds("unreachable"),
    },
    passthroughStatuses: fields.statuses("passthroughStatuses", defaults.passthroughStatuses),
    standardStatuses: fields.statuses("standardStatuses", defaults.standardStatuses),
  };
  if (fields.has("preambleHoldSeconds")) {
    policy.preambleHoldSeconds = fields.number("preambleHoldSeconds", undefined, 0, 600);
  }
  if (fields.has("probeSeconds")) {
    policy.probeSeconds = fields.number("probeSeconds", undefined, 0, MAX_PROBE_SECONDS);
  }
  return policy;
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
    apiKey: oauth ? oauth.accessToken : fields.string("apiKey"),
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

function unique(entries: readonly { id: string }[], section: string): void {
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (seen.has(entry.id)) {
      throw new ConfigError(`${section}[${index}].id`, `duplicate id "${entry.id}"`);
    }
    seen.add(entry.id);
  });
}

/** Reads a `websocket` object: the Responses WebSocket's limits. */
function readWebSocket(fields: Fields): WebSocketSettings {
  fields.onlyKnown(["maxMessageBytes", "maxConnectionSeconds", "idleSeconds", "pingSeconds"]);
  const settings: WebSocketSettings = {};
  if (fields.has("maxMessageBytes")) {
    settings.maxMessageBytes = fields.integer("maxMessageBytes", undefined, 1);
  }
  for (const name of ["maxConnectionSeconds", "idleSeconds", "pingSeconds"] as const) {
    if (fields.has(name)) settings[name] = fields.number(name, undefined, 0.01, 86_400);
  }
  return settings;
}
