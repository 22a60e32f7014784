/**
 * An error answer (status >= 400). Only error bodies are read before the
 * decision: its head (at most 64 KiB) is read and classified; when the error
 * is passed back the client gets that head and then the rest, read on (or
 * the bytes alone when the head was all of it); on failover the rest is
 * cancelled. The blast radius may spare the account the error's effect, or
 * stop the request.
 *
 * @module
 */

import { observeStream } from "../http/observed_stream.ts";
import { type ErrorHead, readErrorHead, relay, rewrite, wholeAnswer } from "./answers.ts";
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
  abort: () => void,
): Promise<Step> {
  const { account, release, probing, isLast, timing } = attempt;
  const { policy } = run.ports;
  const head = upstream.body
    ? await readErrorHead(upstream, run.job.request.signal, policy, abort)
    : undefined;
  const text = head?.text ?? "";
  // Not awaited: the rest of the body is not wanted, and nobody need wait for it to go.
  const drop = () => void head?.reader?.cancel().catch(() => {});
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
    drop();
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
    drop();
    release();
    return answer(rewritten, account);
  }
  return passBack(upstream, head, attempt);
}

/** The error as the upstream gave it: its head, then the rest as it arrives. */
function passBack(upstream: Response, head: ErrorHead | undefined, attempt: AttemptContext): Step {
  const { account, release } = attempt;
  if (head?.complete) {
    release();
    const { bytes } = head;
    return answer(
      wholeAnswer(upstream, upstream.status, bytes, account),
      account,
      undefined,
      bytes,
    );
  }
  // The slot goes back when the body is done (at once when there is none).
  const body = head ? observeStream(head.reader, release, head.held, head.pending) : null;
  return answer(relay(upstream, body, account, release), account);
}
