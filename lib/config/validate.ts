/**
 * Turns untrusted JSON into a {@linkcode Config}: expands `${VAR}` secrets,
 * fills defaults field by field and checks every cross-reference (a group
 * naming an unknown account, a key naming an unknown group). Pure: the
 * environment comes in as a function, so tests need no real variables.
 * One entry (an account, a group, a key) is read in `entries.ts`.
 *
 * @module
 */

import { DEFAULT_FAILOVER, DEFAULT_MAX_REQUEST_BYTES, MAX_PROBE_SECONDS } from "./defaults.ts";
import { type EnvLookup, expandEnv } from "./env_expand.ts";
import { ConfigError } from "./errors.ts";
import { Fields, readId } from "./fields.ts";
import { readErrorRules } from "./error_rules.ts";
import { readCors } from "./cors.ts";
import { readAlerts } from "./alerts.ts";
import { readPricing } from "./pricing.ts";
import type { Config, FailoverPolicy, WebSocketSettings } from "./types.ts";
import { readAccount, readGroup, readKey } from "./entries.ts";

export { readAccount, readGroup, readId, readKey };

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
