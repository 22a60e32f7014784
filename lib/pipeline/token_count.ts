/**
 * `POST /v1/messages/count_tokens` on a group with no Anthropic account:
 * no account can count (the endpoint is Anthropic's, and translation covers
 * inference calls only), but Claude Code calls it on any group it is given
 * and must not see an error. The gateway answers with an estimate computed
 * from the request (`lib/protocols/messages/count_tokens.ts`), marked
 * `x-switchyard-token-count: estimate`. A group with an Anthropic account
 * forwards the call to it as usual, for the exact count, and estimates only
 * when none of them can count right now (the rest of the group still serves
 * Claude Code's messages through translation).
 *
 * @module
 */

import { HttpError } from "../http/errors.ts";
import type { JsonObject } from "../protocols/json.ts";
import { estimateInputTokens } from "../protocols/messages/count_tokens.ts";
import { type Refusal, refusal } from "./refusal.ts";

const COUNT_TOKENS_PATH = "/messages/count_tokens";

/**
 * The gateway's part in a `count_tokens` request: `local`, it estimates (the
 * group has no Anthropic account); `fallback`, its Anthropic accounts count
 * and it estimates when none can right now (`estimateInstead`); `undefined`
 * for any other request, or a group that has nothing else to serve Claude
 * Code (its errors are the accounts' own).
 */
export type TokenCounting = "local" | "fallback";

/** How a request is counted (see {@linkcode TokenCounting}). */
export function tokenCounting(
  request: { method: string; upstreamPath: string },
  group: { translate: boolean; anthropicAccounts: number; otherAccounts: number },
): TokenCounting | undefined {
  if (request.method !== "POST" || request.upstreamPath !== COUNT_TOKENS_PATH) return undefined;
  if (!group.translate || group.otherAccounts === 0) return undefined;
  return group.anthropicAccounts === 0 ? "local" : "fallback";
}

/**
 * Does an answer to a `fallback` count call for the estimate instead? When
 * no Anthropic account could count right now: rate-limited or cooling (429),
 * down or all disabled (5xx); a 4xx about the request stays the client's.
 */
export function estimateInstead(status: number): boolean {
  return status === 429 || status >= 500;
}

/** The estimate as Anthropic's `count_tokens` answer, or 400 for a body that is no Messages request. */
export function localTokenCount(json: JsonObject | undefined): Response | Refusal {
  const tokens = estimateInputTokens(json);
  if (tokens === undefined) {
    const message = "count_tokens needs a JSON Messages request body with a `messages` array";
    return refusal(new HttpError(400, message), "rejected");
  }
  return Response.json({ input_tokens: tokens }, {
    headers: { "x-switchyard-token-count": "estimate" },
  });
}
