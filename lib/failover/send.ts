/**
 * Sends the request to one account with its credential: the static key, or
 * an OAuth token (through the credentials port). An OAuth account's 401
 * refreshes the token and retries the same account once. A first try on a
 * stale pooled connection (retried on a fresh one by `attempt.ts`) is noted
 * as an attempt of its own, `stale-connection`, with no effect on the account.
 *
 * @module
 */

import type { AccountEffect } from "../accounts/model.ts";
import type { Account } from "../config/types.ts";
import type { HeaderPairs } from "../http/headers.ts";
import { OutgoingHeaders } from "../http/outgoing_headers.ts";
import { upstreamUrl } from "../providers/provider.ts";
import { type AttemptResult, sendAttempt } from "./attempt.ts";
import { withAttemptSpan } from "./attempt_span.ts";
import type { AttemptTiming, FailoverRun } from "./run.ts";

/** One attempt's outcome, with the account's credential resolved. */
export type CredentialedAttempt =
  | { kind: "sent"; result: AttemptResult; timing: AttemptTiming }
  /** The account has no usable credential (an OAuth refresh failed). */
  | { kind: "no-credential"; effect: AccountEffect; detail: string; timing: AttemptTiming };

/** Sends to `account`: the `attemptNumber`th account this request tries. */
export async function sendWithCredential(
  run: FailoverRun,
  account: Account,
  clientHeaders: HeaderPairs,
  attemptNumber: number,
  request: { body: Uint8Array<ArrayBuffer> | null; upstreamPath: string },
): Promise<CredentialedAttempt> {
  const { ports, job } = run;
  const startedAt = Date.now();
  const clock = performance.now();
  const timing = () => ({ startedAt, ms: Math.round((performance.now() - clock) * 100) / 100 });
  const send = async (rejectedToken?: string) => {
    const headers = new OutgoingHeaders(clientHeaders);
    const auth = await ports.credentials.authorize(account, headers, rejectedToken);
    if (!auth.ok) return auth;
    const attempt = () =>
      sendAttempt(
        {
          // A translated request goes to another API's path, without the client API's query.
          url: upstreamUrl(
            account,
            request.upstreamPath,
            request.upstreamPath === job.upstreamPath ? job.search : "",
          ),
          method: job.request.method,
          headers: headers.pairs,
          body: request.body,
          egress: ports.egress?.(account),
        },
        ports.policy.headersTimeoutSeconds * 1000,
        job.request.signal,
      );
    const tried = Date.now();
    const result = ports.tracing
      ? await withAttemptSpan(account.id, attemptNumber, attempt)
      : await attempt();
    if (result.kind !== "client-gone" && result.stale) {
      const { ms } = result.stale;
      run.note({ account: account.id, outcome: "stale-connection", startedAt: tried, ms });
    }
    return { ok: true as const, token: auth.token, result };
  };

  let sent = await send();
  if (
    sent.ok && sent.token && sent.result.kind === "response" && sent.result.response.status === 401
  ) {
    await sent.result.response.body?.cancel().catch(() => {});
    run.note({ account: account.id, outcome: "refresh", status: 401 });
    sent = await send(sent.token);
  }
  if (!sent.ok) {
    return { kind: "no-credential", effect: sent.effect, detail: sent.detail, timing: timing() };
  }
  return { kind: "sent", result: sent.result, timing: timing() };
}
