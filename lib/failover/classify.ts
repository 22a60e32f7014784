/**
 * The failover decision, as a pure function of an upstream answer. Given the
 * status, headers and (at most 64 KiB of) the error body, it says whether the
 * request succeeds, moves to the next account, or goes back to the client, and
 * what happens to the account. No I/O here: the failover loop acts on the verdict.
 *
 * @module
 */

import type { AccountEffect, CooldownReason } from "../accounts/model.ts";
import type { FailoverPolicy } from "../config/types.ts";
import type { CompiledErrorRule } from "./error_rules.ts";
import { modelLimit } from "./model_scope.ts";
import { errorObject } from "../protocols/error_body.ts";
import { announcedReset } from "../providers/reset_time.ts";

/** What the failover loop does with the request. */
export type Outcome = "success" | "failover" | "passback";

/** The classifier's answer. */
export interface Verdict {
  outcome: Outcome;
  effect: AccountEffect;
  /** The error rule that decided, when one matched. */
  rule?: CompiledErrorRule;
}

/** An upstream answer, reduced to what classification needs. */
export interface UpstreamAnswer {
  status: number;
  headers: Headers;
  /** The first bytes (at most 64 KiB) of an error body, as text; empty for a success. */
  body: string;
}

/** What classification knows of the request and the account besides the answer. */
export interface RequestFacts {
  /** The request body's `model`, for model-scoped cooldowns. */
  model?: string;
  /** The account signs in with OAuth (its 401 came after a refresh and a retry). */
  oauth?: boolean;
}

/** How many bytes of an error body classification reads. */
export const CLASSIFY_BODY_LIMIT = 64 * 1024;

/**
 * Classifies an upstream response for an account in `passthrough` or standard
 * mode. An error rule that matched the error (`error_rules.ts`) wins over the
 * built-in table.
 */
export function classifyResponse(
  answer: UpstreamAnswer,
  passthrough: boolean,
  policy: FailoverPolicy,
  now: number,
  rule?: CompiledErrorRule,
  request: RequestFacts = {},
): Verdict {
  const { status } = answer;
  if (status < 400) return { outcome: "success", effect: { kind: "healthy" } };
  if (rule) return ruleVerdict(rule, now);

  const statuses = passthrough ? policy.passthroughStatuses : policy.standardStatuses;
  const effect = accountEffect(answer, policy, now, request);
  // Another account may well serve this model: a model-scoped answer always moves on.
  const movesOn = statuses.includes(status) || (effect.kind === "cooldown" && !!effect.model);
  return { outcome: movesOn ? "failover" : "passback", effect };
}

/** Classifies a failure to get response headers at all. */
export function classifyConnectionFailure(policy: FailoverPolicy, now: number): Verdict {
  return {
    outcome: "failover",
    effect: cooldown("unreachable", now + policy.cooldownSeconds.unreachable * 1000, false),
  };
}

/**
 * What a rule's action means: `failover` moves on (cooling the account only
 * with `cooldownSeconds`), `cooldown` cools but passes the error back,
 * `disable` disables the account and moves on, `passback` changes nothing.
 */
function ruleVerdict(matched: CompiledErrorRule, now: number): Verdict {
  const { rule } = matched;
  const rest: AccountEffect = rule.cooldownSeconds === undefined
    ? { kind: "none" }
    : cooldown("rule", now + rule.cooldownSeconds * 1000, false);
  switch (rule.action) {
    case "failover":
      return { outcome: "failover", effect: rest, rule: matched };
    case "cooldown":
      return { outcome: "passback", effect: rest, rule: matched };
    case "disable":
      return {
        outcome: "failover",
        // The operator's decision: no half-open probes, an admin brings it back.
        effect: { kind: "disable", reason: `error rule "${matched.name}"`, temporary: false },
        rule: matched,
      };
    case "passback":
      return { outcome: "passback", effect: { kind: "none" }, rule: matched };
  }
}

function accountEffect(
  answer: UpstreamAnswer,
  policy: FailoverPolicy,
  now: number,
  request: RequestFacts,
): AccountEffect {
  const { status, headers } = answer;
  const body = parseJson(answer.body);
  const seconds = policy.cooldownSeconds;
  const errorType = typeOfError(body);

  if (status === 401 || status === 402) {
    return {
      kind: "disable",
      reason: `upstream answered ${status}${errorType ? ` (${errorType})` : ""}`,
      // A dead API key stays dead; an OAuth 401 that outlived a token refresh may pass.
      temporary: status === 401 && request.oauth === true,
    };
  }
  const limit = request.model
    ? modelLimit(status, headers, body, request.model, policy, now)
    : undefined;
  if (limit) return { kind: "cooldown", ...limit, strike: false, model: request.model };
  if (status === 403) {
    const reset = announcedReset(headers, body, now, { includeRateLimitDurations: false });
    if (reset !== undefined) return cooldown("quota", reset, false);
    return cooldown("forbidden", now + seconds.forbidden * 1000, true);
  }
  if (status === 429) {
    const reset = announcedReset(headers, body, now, { includeRateLimitDurations: true });
    const reason = errorType === "usage_limit_reached" ? "quota" : "rateLimited";
    return cooldown(reason, reset ?? now + seconds.rateLimited * 1000, false);
  }
  if (status === 529 || errorType === "overloaded_error") {
    return cooldown("overloaded", now + seconds.overloaded * 1000, false);
  }
  if (status === 500 || status === 502 || status === 503 || status === 504) {
    return cooldown("serverError", now + seconds.serverError * 1000, false);
  }
  return { kind: "none" };
}

function cooldown(reason: CooldownReason, until: number, strike: boolean): AccountEffect {
  return { kind: "cooldown", reason, until, strike };
}

function typeOfError(body: unknown): string | undefined {
  const error = errorObject(body);
  const type = error?.type ?? error?.code;
  return typeof type === "string" ? type : undefined;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
