/**
 * What one attempt comes to, for the loop: an answer for the client (with the
 * account it came from, if any), or the next account. The per-attempt
 * context is gathered here too, so the steps (`success.ts`, `error_answer.ts`)
 * take one argument for it.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import { errorResponse } from "../http/errors.ts";
import type { Slot } from "../leases/slots.ts";
import type { TokenUsage } from "../protocols/usage.ts";
import type { Translation } from "./result.ts";
import { type CompiledErrorRule, compileErrorRules, matchErrorRule } from "./error_rules.ts";
import type { RequestFacts } from "./classify.ts";
import type { AttemptTiming, FailoverRun } from "./run.ts";

/** Where an attempt leaves the request. */
export type Step =
  | {
    kind: "answer";
    response: Response;
    served?: Account;
    translation?: Translation;
    /** The response's whole body, when it was read before answering. */
    whole?: Uint8Array<ArrayBuffer>;
    /** A translated whole body's usage in the upstream's API (`translated.ts`). */
    usage?: TokenUsage;
  }
  | { kind: "next" };

/** Move on to the next account. */
export const NEXT: Step = { kind: "next" };

/**
 * Answer the client with `response`, which carries `served`'s answer when
 * given, still to be translated by the relay when `translation` is given, and
 * made of the bytes `whole` when its body was read whole.
 */
export function answer(
  response: Response,
  served?: Account,
  translation?: Translation,
  whole?: Uint8Array<ArrayBuffer>,
  usage?: TokenUsage,
): Step {
  return {
    kind: "answer",
    response,
    served,
    ...(translation ? { translation } : {}),
    ...(whole ? { whole } : {}),
    ...(usage ? { usage } : {}),
  };
}

/** One attempt on one account. */
export interface AttemptContext {
  account: Account;
  /** Its concurrency slot, when it has a limit. */
  slot: Slot | undefined;
  /** Gives the slot back (idempotent). */
  release(): void;
  /** The attempt is the request's half-open probe. */
  probing: boolean;
  /** No account can be tried after this one: its error goes to the client. */
  isLast: boolean;
  timing: AttemptTiming;
  /** The path sent upstream (the account's own API's). */
  upstreamPath: string;
  /** How the answer is translated for the client, if it is. */
  translation?: Translation;
}

/** Moves on after an attempt that got no usable answer; the slot goes back. */
export function moveOn(run: FailoverRun, attempt: AttemptContext, unreachable: string): Step {
  run.lastUnreachable = unreachable;
  run.lastError = undefined;
  attempt.release();
  return NEXT;
}

/** The client went away during the attempt: the slot goes back, and the account did nothing wrong. */
export function clientGone(run: FailoverRun, attempt: AttemptContext): Step {
  attempt.release();
  run.note({ account: attempt.account.id, outcome: "client-gone", ...attempt.timing });
  return answer(errorResponse(run.job.surface, 499, "client closed the request"));
}

/** The first of the operator's error rules that fits this error, if any. */
export function errorRuleFor(
  run: FailoverRun,
  account: Account,
  status: number,
  text: string,
): CompiledErrorRule | undefined {
  const rules = run.ports.errorRules();
  if (rules.length === 0) return undefined;
  return matchErrorRule(compileErrorRules(rules), {
    status,
    platform: account.platform,
    account: account.id,
    text,
  });
}

/** What the classifier may know of the request and the account. */
export function facts(run: FailoverRun, account: Account): RequestFacts {
  return { model: run.job.model?.(), oauth: account.oauth !== undefined };
}
