/**
 * The failover loop: the I/O around the pure classifier. It tries the
 * accounts in the planner's order, streams the first success straight
 * through, and moves on only while the client has seen nothing. It returns a
 * {@linkcode FailoverResult} and talks to the rest of the gateway only
 * through its ports (`ports.ts`).
 *
 * Per account: take a concurrency slot (a full account is skipped, not
 * tried), send with the account's credential (`send.ts`), then judge the
 * answer: a success (`success.ts`, which holds a stream's preamble), an error
 * (`error_answer.ts`), or no answer at all. Each account is tried at most once
 * and at most `1 + maxSwitches` accounts are tried.
 *
 * A request may carry the half-open probe of a disabled account: that account
 * goes first, does not count against `maxSwitches`, and moves on after any
 * error, so the client never pays for a failed probe; its answer settles the
 * probe (`lib/accounts/probes.ts`) instead of the usual account effect.
 *
 * @module
 */

import { errorResponse } from "../http/errors.ts";
import { forwardableRequestHeaders, type HeaderPairs, headerValue } from "../http/headers.ts";
import type { Account } from "../config/types.ts";
import { relay, rewrite } from "./answers.ts";
import { classifyConnectionFailure } from "./classify.ts";
import { onError } from "./error_answer.ts";
import type { FailoverPorts } from "./ports.ts";
import { type FailoverJob, type FailoverResult, MODEL_HEADER, type Prepared } from "./result.ts";
import { FailoverRun } from "./run.ts";
import { sendWithCredential } from "./send.ts";
import { type AttemptContext, clientGone, moveOn, type Step } from "./step.ts";
import { onSuccess } from "./success.ts";
import { translatedError } from "./translated.ts";

/** Forwards a request, failing over between accounts; always resolves. */
export async function forwardWithFailover(
  ports: FailoverPorts,
  job: FailoverJob,
): Promise<FailoverResult> {
  const run = new FailoverRun(ports, job);
  try {
    const { response, served, translation, whole, usage } = await tryAccounts(run);
    await run.written();
    return {
      response,
      served,
      attempts: run.attempts,
      effects: run.effects,
      ...(translation ? { translation } : {}),
      ...(whole ? { whole } : {}),
      ...(usage ? { wholeUsage: usage } : {}),
    };
  } finally {
    run.releaseUnusedLease();
  }
}

async function tryAccounts(run: FailoverRun): Promise<Extract<Step, { kind: "answer" }>> {
  const { job } = run;
  const clientHeaders = forwardableRequestHeaders(job.request.headers);
  for (const [index, account] of job.accounts.entries()) {
    if (run.tried >= run.limit) break;
    // An account that cannot be sent this request (in its API) is skipped, not tried.
    const prepared = run.prepare(account);
    if (!prepared.ok) {
      run.note({ account: account.id, outcome: "untranslatable" });
      continue;
    }
    // A concurrency slot, where the account has a limit; a full account is skipped, not tried.
    const slot = await run.slotFor(account);
    if (slot === null) {
      run.note({ account: account.id, outcome: "full" });
      continue;
    }
    const probing = run.probing(account);
    if (probing) run.limit++; // a probe is extra: the request keeps every normal attempt
    run.tried++;
    const isLast = run.tried >= run.limit || index === job.accounts.length - 1;
    const place = { probing, isLast };
    const headers = clientHeaders[account.platform];
    const step = await tryAccount(run, account, slot, place, headers, prepared);
    if (step.kind === "answer") {
      if (prepared.model && step.served) {
        step.response.headers.set(MODEL_HEADER, headerValue(prepared.model));
      }
      return step;
    }
  }
  return exhausted(run);
}

/** One attempt on `account`, from sending to the step it leads to. */
async function tryAccount(
  run: FailoverRun,
  account: Account,
  slot: AttemptContext["slot"],
  place: Pick<AttemptContext, "probing" | "isLast">,
  clientHeaders: HeaderPairs,
  prepared: Extract<Prepared, { ok: true }>,
): Promise<Step> {
  run.ports.used(account.id);
  const sent = await sendWithCredential(run, account, clientHeaders, run.tried, prepared);
  const attempt: AttemptContext = {
    account,
    slot,
    release: () => void slot?.release(),
    ...place,
    timing: sent.timing,
    upstreamPath: prepared.upstreamPath,
    ...(prepared.translation ? { translation: prepared.translation } : {}),
  };
  if (sent.kind === "no-credential") {
    const verdict = { outcome: "failover" as const, effect: sent.effect };
    run.record(account, verdict, "auth", undefined, sent.timing, sent.detail);
    return moveOn(run, attempt, sent.detail);
  }
  const result = sent.result;
  if (result.kind === "client-gone") return clientGone(run, attempt);
  if (result.kind === "unreachable") {
    const verdict = classifyConnectionFailure(run.ports.policy, Date.now());
    run.record(account, verdict, "unreachable", undefined, sent.timing, result.detail);
    return moveOn(run, attempt, result.detail);
  }
  const upstream = result.response;
  run.ports.quota.observe(account, upstream.headers);
  return upstream.status < 400
    ? await onSuccess(run, attempt, upstream)
    : await onError(run, attempt, upstream, result.abort);
}

/** No account answered for the client: say why. */
function exhausted(run: FailoverRun): Extract<Step, { kind: "answer" }> {
  const { surface } = run.job;
  if (run.tried === 0 && run.refused) {
    const { status, body } = run.refused;
    const headers = { "content-type": "application/json" };
    return { kind: "answer", response: new Response(body, { status, headers }) };
  }
  if (run.tried === 0) {
    return {
      kind: "answer",
      response: errorResponse(
        surface,
        429,
        "every account is at its concurrency limit; retry shortly",
        { "retry-after": "1" },
      ),
    };
  }
  if (run.lastError) {
    // The accounts after this error were all at their concurrency limit.
    const { upstream, text, account, rule, translation } = run.lastError;
    const response = rewrite(surface, rule, upstream.status, text, account) ??
      (translation
        ? translatedError(upstream, text, account, translation)
        : relay(upstream, new Blob([text]).stream(), account));
    return { kind: "answer", response, served: account };
  }
  const reason = run.lastUnreachable || "no attempt";
  return {
    kind: "answer",
    response: errorResponse(surface, 502, `no upstream account could be reached (${reason})`),
  };
}
