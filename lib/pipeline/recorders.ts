/**
 * What a success body creates, remembered for the account that served it:
 * the id of a stored response (as the key's, so the client's next request
 * that names it goes to that account) and the marks of signed thinking (as
 * that account's). The relay hears them as the body passes (`relay.ts`);
 * `recording` lets the pipeline wait for the writes before a JSON answer
 * goes out, so any process sharing the KV finds them.
 *
 * @module
 */

import type { ResponseOwners } from "../accounts/response_owners.ts";
import type { ThinkingSigners } from "../accounts/thinking_signers.ts";
import type { FailoverResult } from "../failover/result.ts";
import { createsResponse } from "../protocols/inference_paths.ts";
import type { Delivery } from "./relay.ts";
import type { Arrival } from "./route.ts";

/** The hooks that remember what a success body creates, and wait for their writes. */
export type ConversationRecorders = Pick<Delivery, "onResponseId" | "onSigned" | "recording">;

/**
 * Remember what a success body creates, for the account that served it (known
 * once forwarding is done, before any of the body reaches the client, also
 * after a failover and for a request that waited for a slot): a stored
 * response as this key's, and the marks of its signed thinking as that
 * account's. A translated answer carries no signed thinking the client can
 * send back. `recording` waits for the writes started so far.
 */
export function conversationRecorders(
  stores: { owners: ResponseOwners; signers: ThinkingSigners },
  arrival: Arrival,
  key: string,
  result: () => FailoverResult | undefined,
): ConversationRecorders {
  const writes: Promise<void>[] = [];
  const creates = createsResponse(arrival.request.method, arrival.url.pathname);
  return {
    onResponseId: creates
      ? (id) => {
        const served = result()?.served;
        if (served) writes.push(stores.owners.remember(id, key, served.id));
      }
      : undefined,
    onSigned: arrival.surface === "anthropic"
      ? (mark) => {
        const done = result();
        if (!done?.served || done.translation) return;
        writes.push(stores.signers.remember(mark, done.served.id));
      }
      : undefined,
    recording: () =>
      writes.length === 0 ? undefined : Promise.all(writes.splice(0)).then(() => undefined),
  };
}
