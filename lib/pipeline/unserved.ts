/**
 * A request no account of the key's group can serve by kind or protocol
 * (`lib/planning/serving.ts`): a Messages request from another client than
 * Claude Code on Claude subscriptions, a translated request on a group that
 * does not translate, ... Waiting changes nothing, so the client gets a 400
 * saying why, which SDKs and CLIs do not retry (they retry 408, 409, 429 and
 * 5xx), rather than the 503 of an outage. Accounts that could serve but are
 * cooling or disabled are planning's answer (429, 503), not this one.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import { HttpError } from "../http/errors.ts";
import { type Refusal, refusal } from "./refusal.ts";
import type { RequestShape } from "./translation.ts";

/** 400 naming why, when no account of the group serves the request's API; else `undefined`. */
export function unservedKind(
  shape: RequestShape,
  candidates: readonly Account[],
  group: string,
): Refusal | undefined {
  const reason = shape.unservedReason(candidates);
  if (reason === undefined) return undefined;
  const message = `no account in group "${group}" can serve this request: ${reason}`;
  return refusal(new HttpError(400, message), "unserved");
}
