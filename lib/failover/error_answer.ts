/**
 * An error answer (status >= 400). Only error bodies are read before the
 * decision: the body is `tee()`d, one branch (at most 64 KiB) is classified,
 * the other reaches the client whole when the error is passed back; on
 * failover both are cancelled. The blast radius may spare the account the
 * error's effect, or stop the request.
 *
 * @module
 */

import { observeStream } from "../http/observed_stream.ts";
import { readErrorPrefix, relay, rewrite } from "./answers.ts";
import { translatedError } from "./translated.ts";
import { blastKind } from "./blast_radius.ts";
import { classifyResponse } from "./classify.ts";
import { type FailoverRun, PROBE_DECISION } from "./run.ts";
import { answer, type AttemptContext, errorRuleFor, facts, NEXT, type Step } from "./step.ts";

/** Classifies an error answer: move on, or hand it (or its rewrite) to the client. */
export async function onError(
  run: FailoverRun,
  attempt: AttemptContext,
  upstream: Response,
): Promise<Step> {
  const { account, release, slot, probing, isLast, timing } = attempt;
  const { policy } = run.ports;
  const [forClassifier, forClient] = upstream.body ? upstream.body.tee() : [null, null];
  const text = forClassifier
    ? await readErrorPrefix(forClassifier, run.job.request.signal, policy)
    : "";
  const verdict = classifyResponse(
    { status: upstream.status, headers: upstream.headers, body: text },
    account.passthrough,
    policy,
    Date.now(),
    errorRuleFor(run, account, upstream.status, text),
    facts(run, account),
  );
  // A failed probe neither counts toward the blast radius nor reaches the client.
  const decision = probing ? PROBE_DECISION : run.blast.judge(
    blastKind(verdict.effect, upstream.status, upstream.headers.get("content-type"), text),
  );
  if (decision.apply) {
    run.record(account, verdict, verdict.outcome, upstream.status, timing);
  } else {
    run.note({ account: account.id, outcome: "spared", status: upstream.status, ...timing });
  }
  if ((verdict.outcome === "failover" || probing) && !isLast && !decision.stop) {
    // Not awaited: the error body is dropped, and the next account need not wait for it.
    void forClient?.cancel().catch(() => {});
    run.lastError = {
      upstream,
      text,
      account,
      rule: verdict.rule,
      translation: attempt.translation,
    };
    release();
    return NEXT;
  }
  if (decision.stop) run.note({ account: account.id, outcome: "blast-radius-stop" });
  const rewritten = rewrite(run.job.surface, verdict.rule, upstream.status, text, account) ??
    (attempt.translation
      ? translatedError(upstream, text, account, attempt.translation)
      : undefined);
  if (rewritten) {
    await forClient?.cancel().catch(() => {});
    release();
    return answer(rewritten, account);
  }
  const body = forClient && slot ? observeStream(forClient, release) : forClient;
  return answer(relay(upstream, body, account, release), account);
}
