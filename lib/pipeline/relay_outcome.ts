/**
 * What a relayed request came to, for its log line, its metrics and the
 * failover log (`relay.ts` reports them): the outcome of its attempts and how
 * its body ended, the events of the attempts that moved it on, its attempts
 * as the request log shows them, and the model its usage is counted under.
 * Pure, table-tested in `relay_outcome_test.ts`.
 *
 * @module
 */

import type { Attempt } from "../failover/result.ts";
import type { FailoverEvent } from "../observe/failover_log.ts";
import type { LoggedAttempt } from "../observe/request_log.ts";
import type { BodyEnd } from "../usage/tap.ts";

/** An attempt as the request log shows it: its effect as `cooldown:<reason>` or `disable`. */
export function loggedAttempt(attempt: Attempt): LoggedAttempt {
  const { effect, ...rest } = attempt;
  if (!effect) return attempt as LoggedAttempt;
  const shown = effect.kind === "cooldown" ? `cooldown:${effect.reason}` : "disable";
  const { account, outcome, status, ...more } = rest;
  return { account, outcome, status, effect: shown, ...more };
}

/** The account whose answer was relayed as a success, if one was. */
export function servingAccount(attempts: readonly Attempt[]): string | null {
  return attempts.findLast((attempt) => attempt.outcome === "success")?.account ?? null;
}

/** Attempts that moved a request on: an error event, or a 200 that broke off, before any content included. */
const FAILOVER_OUTCOMES = new Set(["failover", "unreachable", "preamble-failover", "dropped"]);

/** The failover log's events: one per attempt that moved the request on. */
export function failoverEvents(
  attempts: readonly Attempt[],
  key: string | null,
  transport: string | undefined,
): FailoverEvent[] {
  const events: FailoverEvent[] = [];
  for (const attempt of attempts) {
    if (!FAILOVER_OUTCOMES.has(attempt.outcome)) continue;
    events.push({
      at: new Date(attempt.startedAt ?? Date.now()).toISOString(),
      account: attempt.account,
      reason: reasonOf(attempt),
      ...(attempt.status !== undefined ? { status: attempt.status } : {}),
      ...(attempt.rule !== undefined ? { rule: attempt.rule } : {}),
      key: key ?? "",
      ...(transport ? { transport } : {}),
    });
  }
  return events;
}

function reasonOf(attempt: Attempt): string {
  if (attempt.effect?.kind === "cooldown") return attempt.effect.reason;
  if (attempt.effect?.kind === "disable") return "disabled";
  if (attempt.outcome === "unreachable") return "unreachable";
  if (attempt.rule !== undefined) return "rule";
  return attempt.status !== undefined ? `status_${attempt.status}` : "other";
}

export function outcomeOf(attempts: readonly Attempt[], end: BodyEnd): string {
  const last = attempts.at(-1);
  if (!last) return "unknown";
  if (end === "aborted") return "aborted";
  if (end === "error") return "broken";
  switch (last.outcome) {
    case "success":
    case "passback":
      return last.outcome;
    case "client-gone":
      return "client_gone";
    default:
      return "exhausted";
  }
}

/**
 * The model usage is counted under: the one the upstream reports, with the
 * client's name beside it when routing gave it another (`gpt-5-codex (as gpt-5)`).
 */
export function usageModel(upstream: string | undefined, requested: string | undefined): string {
  const used = upstream ?? requested ?? "unknown";
  return requested !== undefined && requested !== used ? `${used} (as ${requested})` : used;
}
