/**
 * `POST /v1/messages/count_tokens` on a group with no Anthropic account:
 * no account can count (the endpoint is Anthropic's, and translation covers
 * inference calls only), but Claude Code calls it on any group it is given
 * and must not see an error. The gateway answers with an estimate computed
 * from the request (`lib/protocols/messages/count_tokens.ts`), marked
 * `x-switchyard-token-count: estimate`. A group with an Anthropic account
 * forwards the call to it as usual, for the exact count.
 *
 * @module
 */

import { HttpError } from "../http/errors.ts";
import { parseJson } from "../protocols/json.ts";
import { estimateInputTokens } from "../protocols/messages/count_tokens.ts";
import { type Refusal, refusal } from "./refusal.ts";

const COUNT_TOKENS_PATH = "/messages/count_tokens";

/**
 * Does the gateway count this request's tokens itself? For `count_tokens`
 * only, when the group translates and has accounts, none of them Anthropic.
 */
export function countsLocally(
  request: { method: string; upstreamPath: string },
  group: { translate: boolean; anthropicAccounts: number; otherAccounts: number },
): boolean {
  return request.method === "POST" && request.upstreamPath === COUNT_TOKENS_PATH &&
    group.translate && group.anthropicAccounts === 0 && group.otherAccounts > 0;
}

/** The estimate as Anthropic's `count_tokens` answer, or 400 for a body that is no Messages request. */
export function localTokenCount(body: Uint8Array | null): Response | Refusal {
  const parsed = body ? parseJson(new TextDecoder().decode(body)) : undefined;
  const tokens = estimateInputTokens(parsed);
  if (tokens === undefined) {
    const message = "count_tokens needs a JSON Messages request body with a `messages` array";
    return refusal(new HttpError(400, message), "rejected");
  }
  return Response.json({ input_tokens: tokens }, {
    headers: { "x-switchyard-token-count": "estimate" },
  });
}
