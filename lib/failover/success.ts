/**
 * A success answer (status < 400). Its body streams straight through, never
 * teed or buffered. One exception: the preamble events of a 200 event stream
 * (`response.created`, `message_start`, `ping`) are held until the first
 * content, because an error event before any content (`response.failed`,
 * `event: error`) can still move the request to another account: nothing has
 * reached the client yet.
 *
 * @module
 */

import { observeStream } from "../http/observed_stream.ts";
import {
  answer,
  type AttemptContext,
  clientGone,
  errorRuleFor,
  facts,
  moveOn,
  type Step,
} from "./step.ts";
import { blastKind } from "./blast_radius.ts";
import { classifyConnectionFailure, classifyResponse } from "./classify.ts";
import {
  DEFAULT_PREAMBLE_HOLD_MS,
  errorEventAnswer,
  holdPreamble,
  isEventStream,
  type Preamble,
} from "./preamble.ts";
import { hasPreamble } from "../protocols/api_route.ts";
import { relay, rewrite, wholeAnswer } from "./answers.ts";
import { translatedError, translatedSuccess, type Whole } from "./translated.ts";
import { readWhole, type WholeRead } from "../http/body.ts";
import { declaredWithin, readUpstreamHeaders, type UpstreamHeaders } from "../http/headers.ts";
import { type FailoverRun, PROBE_DECISION } from "./run.ts";

/** Relays a success, after holding its preamble where the API has one. */
export async function onSuccess(
  run: FailoverRun,
  attempt: AttemptContext,
  upstream: Response,
): Promise<Step> {
  const { account, release, slot, probing, timing, translation } = attempt;
  const { policy } = run.ports;
  const succeeded = () => {
    const verdict = classifyResponse(
      { status: upstream.status, headers: upstream.headers, body: "" },
      account.passthrough,
      policy,
      Date.now(),
    );
    void run.settle(account, verdict.effect);
    run.note({
      account: account.id,
      outcome: "success",
      status: upstream.status,
      ...timing,
      ...(probing ? { probe: true as const } : {}),
    });
  };
  const holdMs = (policy.preambleHoldSeconds ?? DEFAULT_PREAMBLE_HOLD_MS / 1000) * 1000;
  let body: ReadableStream<Uint8Array> | null = upstream.body;
  // One pass over the headers for every decision below and the client's copy.
  const seen = readUpstreamHeaders(upstream.headers);
  if (body && !translation && readsWhole(seen)) {
    // A JSON answer is of no use to the client in part: it is read whole and answered from
    // its bytes (no stream left to relay), and a drop before its end can still move on.
    let read: WholeRead;
    try {
      read = declaredWithin(seen, WHOLE_ANSWER_LIMIT)
        ? { kind: "whole", bytes: await upstream.bytes() }
        : await readWhole(body, WHOLE_ANSWER_LIMIT);
    } catch {
      return brokeOff(run, attempt, upstream, "the answer broke off before it was whole");
    }
    succeeded();
    if (read.kind === "whole") {
      release();
      const response = wholeAnswer(
        upstream,
        upstream.status,
        read.bytes,
        account,
        seen.forwardable,
      );
      return answer(response, account, undefined, read.bytes);
    }
    // Too long to hold: what was read goes first, the rest streams on.
    return answer(
      relay(
        upstream,
        observeStream(read.reader, release, read.held),
        account,
        undefined,
        seen.forwardable,
      ),
      account,
    );
  }
  if (
    body && holdMs > 0 && hasPreamble(attempt.upstreamPath) && isEventStream(upstream.headers)
  ) {
    const start = await holdPreamble(body, holdMs);
    if (start.kind === "dropped") {
      return brokeOff(run, attempt, upstream, "stream failed before any content");
    }
    if (start.kind === "error") return await onEarlyError(run, attempt, upstream, start);
    body = observeStream(start.reader, release, start.held, start.pending);
  } else if (body && slot) {
    body = observeStream(body, release);
  } else {
    release();
  }
  if (translation && !translation.stream) {
    // The whole body is read before the client sees a byte, so a drop here can still move on.
    let whole: Whole;
    try {
      whole = await translatedSuccess(upstream, body, account, translation);
    } catch {
      return brokeOff(run, attempt, upstream, "the answer broke off before it was whole");
    }
    succeeded();
    return answer(whole.response, account, undefined, whole.bytes, whole.usage);
  }
  succeeded();
  return answer(relay(upstream, body, account, undefined, seen.forwardable), account, translation);
}

/** Largest JSON success answered from bytes; a longer one streams on after it. */
export const WHOLE_ANSWER_LIMIT = 4 * 1024 * 1024;

/** Whether a success is read whole before the client gets it: JSON. */
function readsWhole(headers: UpstreamHeaders): boolean {
  return headers.contentType.includes("json");
}

/**
 * A success broke off before anything reached the client (before its first
 * content, or before a body read whole was whole): move on. Unless the client
 * itself went away, which aborts the read: then the account did nothing wrong.
 */
function brokeOff(
  run: FailoverRun,
  attempt: AttemptContext,
  upstream: Response,
  why: string,
): Step {
  if (run.job.request.signal.aborted) return clientGone(run, attempt);
  // Logged as truly as any other attempt: the status it answered and when, beside its outcome.
  const verdict = classifyConnectionFailure(run.ports.policy, Date.now());
  run.record(attempt.account, verdict, "dropped", upstream.status, attempt.timing);
  return moveOn(run, attempt, why);
}

/** An error event before the first content: judged like an error answer. */
async function onEarlyError(
  run: FailoverRun,
  attempt: AttemptContext,
  upstream: Response,
  start: Extract<Preamble, { kind: "error" }>,
): Promise<Step> {
  const { account, release, probing, isLast } = attempt;
  const early = errorEventAnswer(start.event, upstream.headers);
  const rule = errorRuleFor(run, account, upstream.status, start.event.data);
  const verdict = classifyResponse(
    early,
    account.passthrough,
    run.ports.policy,
    Date.now(),
    rule,
    facts(run, account),
  );
  const decision = probing
    ? PROBE_DECISION
    : run.blast.judge(blastKind(verdict.effect, early.status, null, early.body));
  const outcome = verdict.outcome === "passback" ? "preamble-passback" : "preamble-failover";
  if (decision.apply) run.record(account, verdict, outcome, 200);
  if ((verdict.outcome === "failover" || probing) && !isLast && !decision.stop) {
    await start.reader.cancel().catch(() => {});
    return moveOn(run, attempt, "stream failed before any content");
  }
  const { translation } = attempt;
  const rewritten = rewrite(run.job.surface, verdict.rule, early.status, early.body, account) ??
    (translation && !translation.stream
      ? translatedError(upstream, early.body, account, translation, early.status)
      : undefined);
  if (rewritten) {
    await start.reader.cancel().catch(() => {});
    release();
    return answer(rewritten, account);
  }
  // A stream client gets the error event itself (translated by the relay when it needs to be).
  return answer(
    relay(upstream, observeStream(start.reader, release, start.held), account),
    account,
    translation,
  );
}
