/**
 * Reads `errorRules`: the operator's rules for upstream errors the built-in
 * failover table does not know. Config loading and `PUT /admin/error-rules`
 * share this reader, so both report a bad rule alike, naming it:
 * `errorRules[1].match: invalid regular expression (Unterminated group)`.
 * A pattern that could backtrack catastrophically (`(a+)+b`) is refused the
 * same way, by shape (`regex_shape.ts`).
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { Fields, readId } from "./fields.ts";
import { lowerCasedPattern, patternProblem } from "./regex_shape.ts";
import { type ErrorRule, type ErrorRuleAction, type Platform, PLATFORMS } from "./types.ts";

/** Every rule action. */
export const ERROR_RULE_ACTIONS: readonly ErrorRuleAction[] = [
  "failover",
  "cooldown",
  "disable",
  "passback",
];

const FIELDS = [
  "id",
  "status",
  "match",
  "action",
  "cooldownSeconds",
  "platforms",
  "accounts",
  "clientStatus",
  "clientMessage",
];
/** A rule's cooldown is at most 31 days, like an announced reset. */
const MAX_COOLDOWN_SECONDS = 31 * 24 * 3600;
const MAX_CLIENT_MESSAGE = 1000;

/** Reads the rule list under `name`; ids, where given, are unique. */
export function readErrorRules(fields: Fields, name: string): ErrorRule[] {
  const rules = fields.objects(name).map(readErrorRule);
  const ids = new Set<string>();
  rules.forEach((rule, index) => {
    if (rule.id === undefined) return;
    if (ids.has(rule.id)) {
      throw new ConfigError(`${fields.at(name)}[${index}].id`, `duplicate id "${rule.id}"`);
    }
    ids.add(rule.id);
  });
  return rules;
}

/** A `PUT /admin/error-rules` body: the list itself, or `{ "errorRules": [...] }`. */
export function errorRulesFromBody(body: unknown): ErrorRule[] {
  const root = Fields.of(Array.isArray(body) ? { errorRules: body } : body, "");
  root.onlyKnown(["errorRules"]);
  return readErrorRules(root, "errorRules");
}

/** A rule's name in logs and on the dashboard: its `id`, else its place in the list. */
export function errorRuleName(rule: ErrorRule, index: number): string {
  return rule.id ?? `errorRules[${index}]`;
}

/**
 * Compiles a rule's `match` for LOWER-CASED text (case-insensitive without
 * the `i` flag, see `regex_shape.ts`); `undefined` when it has none.
 */
export function compileMatch(match: string | undefined): RegExp | undefined {
  if (match === undefined) return undefined;
  try {
    return new RegExp(lowerCasedPattern(match));
  } catch {
    // Never seen; the `i` flag on lower-cased text matches the same.
    return new RegExp(match, "i");
  }
}

function readErrorRule(fields: Fields): ErrorRule {
  const id = fields.has("id") ? readId(fields) : undefined;
  try {
    return readRuleFields(fields, id);
  } catch (error) {
    // Name the rule by its id too, when it has one: indexes shift as rules are edited.
    if (!(error instanceof ConfigError) || id === undefined) throw error;
    throw new ConfigError(error.field, `${error.problem} (rule "${id}")`);
  }
}

function readRuleFields(fields: Fields, id: string | undefined): ErrorRule {
  fields.onlyKnown(FIELDS);
  const action = fields.oneOf("action", ERROR_RULE_ACTIONS);
  const rule: ErrorRule = id === undefined ? { action } : { id, action };
  if (fields.has("status")) rule.status = ruleStatuses(fields);
  if (fields.has("match")) rule.match = pattern(fields);
  if (rule.status === undefined && rule.match === undefined) {
    throw new ConfigError(fields.path, 'needs "match", "status" or both');
  }
  const cools = action === "failover" || action === "cooldown";
  if (fields.has("cooldownSeconds")) {
    if (!cools) {
      throw new ConfigError(
        fields.at("cooldownSeconds"),
        'only rules with action "failover" or "cooldown" cool an account',
      );
    }
    rule.cooldownSeconds = fields.number("cooldownSeconds", undefined, 1, MAX_COOLDOWN_SECONDS);
  } else if (action === "cooldown") {
    throw new ConfigError(fields.at("cooldownSeconds"), 'is required with action "cooldown"');
  }
  if (fields.has("platforms")) {
    rule.platforms = nonEmpty(fields, "platforms").map((platform, index) => {
      if (!(PLATFORMS as readonly string[]).includes(platform)) {
        throw new ConfigError(
          `${fields.at("platforms")}[${index}]`,
          `must be one of ${PLATFORMS.map((p) => `"${p}"`).join(", ")}`,
        );
      }
      return platform as Platform;
    });
  }
  if (fields.has("accounts")) rule.accounts = nonEmpty(fields, "accounts");
  const clientStatus = fields.optionalInteger("clientStatus", 400, 599);
  if (clientStatus !== undefined) rule.clientStatus = clientStatus;
  const clientMessage = fields.optionalString("clientMessage");
  if (clientMessage !== undefined) {
    if (clientMessage.length > MAX_CLIENT_MESSAGE) {
      throw new ConfigError(
        fields.at("clientMessage"),
        `must be at most ${MAX_CLIENT_MESSAGE} characters`,
      );
    }
    rule.clientMessage = clientMessage;
  }
  return rule;
}

/** `status`: 400-599, or 200 for error events inside a 200 stream. */
function ruleStatuses(fields: Fields): number[] {
  const value = fields.raw.status;
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(fields.at("status"), "must be a non-empty array of HTTP statuses");
  }
  return value.map((status, index) => {
    if (!Number.isInteger(status) || (status !== 200 && (status < 400 || status > 599))) {
      throw new ConfigError(
        `${fields.at("status")}[${index}]`,
        "must be an HTTP error status (400-599), or 200 for an error event in a stream",
      );
    }
    return status as number;
  });
}

function pattern(fields: Fields): string {
  const match = fields.string("match");
  try {
    new RegExp(match, "i");
  } catch (error) {
    // V8 says "Invalid regular expression: /<pattern>/i: <why>"; keep the why, on one line.
    const why = String((error as Error).message).split(": ").at(-1)?.replace(/\s+/g, " ");
    throw new ConfigError(fields.at("match"), `invalid regular expression (${why})`);
  }
  const problem = patternProblem(match);
  if (problem) throw new ConfigError(fields.at("match"), `refused: ${problem}`);
  return match;
}

function nonEmpty(fields: Fields, name: string): string[] {
  const values = fields.strings(name);
  if (values.length === 0) throw new ConfigError(fields.at(name), "must not be empty");
  return values;
}
