/**
 * Operator error rules at run time. A rule list is compiled once (each
 * `match` as a `RegExp` for lower-cased text, memoized per list, so a list
 * replaced through the management API is compiled once per process), and
 * {@linkcode matchErrorRule} finds the first rule that fits an upstream
 * error: its HTTP status, the account's platform and id, and the first
 * {@linkcode RULE_MATCH_CHARS} characters of the error body or of the data of
 * an error event in a 200 stream, lower-cased (a bounded slice: matching time
 * grows with the text, even for the shapes `regex_shape.ts` lets through). The
 * classifier (`classify.ts`) lets that rule win over the built-in table.
 *
 * {@linkcode rewrittenError} is what the client sees instead of the upstream's
 * error when the rule sets `clientStatus` or `clientMessage`. Pure, no I/O.
 *
 * @module
 */

import { compileMatch, errorRuleName } from "../config/error_rules.ts";
import type { ErrorRule, Platform } from "../config/types.ts";
import { errorResponse, type Surface } from "../http/errors.ts";
import { RULE_MATCH_CHARS } from "../config/regex_shape.ts";
import { errorObject } from "../protocols/error_body.ts";

/** A rule ready to match. */
export interface CompiledErrorRule {
  /** Its `id`, or `errorRules[i]`. */
  readonly name: string;
  readonly rule: ErrorRule;
  readonly pattern?: RegExp;
}

/** An upstream error, as rules see it. */
export interface ErrorSubject {
  /** The HTTP status; 200 for an error event inside a 200 stream. */
  status: number;
  platform: Platform;
  account: string;
  /** The error body's first bytes, or the error event's data. */
  text: string;
}

const compiled = new WeakMap<readonly ErrorRule[], readonly CompiledErrorRule[]>();

/** Compiles a rule list; the same list (by identity) is compiled only once. */
export function compileErrorRules(rules: readonly ErrorRule[]): readonly CompiledErrorRule[] {
  let list = compiled.get(rules);
  if (!list) {
    list = rules.map((rule, index) => ({
      name: errorRuleName(rule, index),
      rule,
      pattern: compileMatch(rule.match),
    }));
    compiled.set(rules, list);
  }
  return list;
}

/** The first rule that fits `subject`, or `undefined`. */
export function matchErrorRule(
  rules: readonly CompiledErrorRule[],
  subject: ErrorSubject,
): CompiledErrorRule | undefined {
  if (rules.length === 0) return undefined;
  let text: string | undefined;
  return rules.find(({ rule, pattern }) =>
    (rule.status === undefined || rule.status.includes(subject.status)) &&
    (rule.platforms === undefined || rule.platforms.includes(subject.platform)) &&
    (rule.accounts === undefined || rule.accounts.includes(subject.account)) &&
    (pattern === undefined ||
      pattern.test(text ??= subject.text.slice(0, RULE_MATCH_CHARS).toLowerCase()))
  );
}

/**
 * The error the client sees when `matched` rewrites it: `clientStatus` (else
 * the upstream's status) and `clientMessage` (else the upstream's own error
 * message, else a generic one) in the surface's error shape. `undefined` when
 * no rule rewrites this error, so the upstream's answer goes back as it is.
 */
export function rewrittenError(
  surface: Surface,
  matched: CompiledErrorRule | undefined,
  status: number,
  body: string,
): Response | undefined {
  const rule = matched?.rule;
  if (!rule || (rule.clientStatus === undefined && rule.clientMessage === undefined)) {
    return undefined;
  }
  const message = rule.clientMessage ?? upstreamMessage(body) ?? `upstream answered ${status}`;
  return errorResponse(surface, rule.clientStatus ?? status, message);
}

function upstreamMessage(body: string): string | undefined {
  try {
    const message = errorObject(JSON.parse(body))?.message;
    return typeof message === "string" && message !== "" ? message : undefined;
  } catch {
    return undefined;
  }
}
