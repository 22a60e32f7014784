/**
 * The failover loop: the I/O around the pure classifier. It tries the planned
 * accounts in order, streams the first success straight through, and moves on
 * only while the client has seen nothing. Error bodies are `tee()`d: one
 * branch (at most 64 KiB) is classified, the other reaches the client whole
 * when the error is passed back. Success bodies are never teed or buffered.
 *
 * A request may carry the half-open probe of a disabled account: that account
 * goes first, does not count against `maxSwitches`, and moves on after any
 * error, so the client never pays for a failed probe; its answer settles the
 * probe (`lib/state/probes.ts`) instead of the usual account effect.
 *
 * @module
 */

import type { Account, ErrorRule, FailoverPolicy } from "../config/types.ts";
import { readPrefixText } from "../http/body.ts";
import { errorResponse, type Surface } from "../http/errors.ts";
import { forwardableRequestHeaders, forwardableResponseHeaders } from "../http/headers.ts";
import type { Route } from "../providers/routing.ts";
import { upstreamUrl } from "../providers/routing.ts";
import type { AccountStateStore } from "../state/account_state.ts";
import { withAttemptSpan } from "../observe/tracing.ts";
import { type AttemptResult, sendAttempt } from "./attempt.ts";
import { blastKind, BlastRadius } from "./blast_radius.ts";
import {
  type CompiledErrorRule,
  compileErrorRules,
  matchErrorRule,
  rewrittenError,
} from "./error_rules.ts";
import {
  DEFAULT_PREAMBLE_HOLD_MS,
  errorEventAnswer,
  hasPreamble,
  holdPreamble,
  isEventStream,
} from "./preamble.ts";
import { observeStream } from "../http/observed_stream.ts";
import type { ProxyHooks } from "../pool/hooks.ts";
import {
  type AccountEffect,
  CLASSIFY_BODY_LIMIT,
  classifyConnectionFailure,
  classifyResponse,
  type RequestFacts,
  type Verdict,
} from "./classify.ts";

/** Response header naming the account that served a request (ids are not secrets). */
export const ACCOUNT_HEADER = "x-switchyard-account";

/** What happened on one attempt, for logs and metrics. */
export interface AttemptRecord {
  account: string;
  /** `success`, `failover`, `passback`, `unreachable`, `client-gone`. */
  outcome: string;
  status?: number;
  /** The account effect, e.g. `cooldown:rateLimited` or `disable`. */
  effect?: string;
  /** The error rule that decided, by name. */
  rule?: string;
  /** When the attempt started (epoch ms) and how long until headers or failure. */
  startedAt?: number;
  ms?: number;
  /** The attempt was a disabled account's half-open probe. */
  probe?: true;
}

/** Everything the loop needs from the gateway. */
export interface ProxyContext {
  policy: FailoverPolicy;
  states: AccountStateStore;
  /** The account's upstream credential. */
  credentialFor(account: Account): string;
  /** Marks an account as just used, for least-recently-used ordering. */
  touch(accountId: string): void;
  /** OAuth credentials, concurrency slots and quota snapshots (`lib/pool/`); optional. */
  hooks?: ProxyHooks;
  /** The operator's error rules as of now (config or management API); none when absent. */
  errorRules?(): readonly ErrorRule[];
}

/** One client request, ready to forward. */
export interface ProxyRequest {
  route: Route;
  request: Request;
  url: URL;
  body: Uint8Array<ArrayBuffer> | null;
  /** The planned accounts, best first. */
  accounts: readonly Account[];
  /** Filled in as attempts happen. */
  attempts: AttemptRecord[];
  /** The body for one account, when it differs per account (see `lib/usage/stream_options.ts`). */
  bodyFor?: (account: Account) => Uint8Array<ArrayBuffer> | null;
  /** The request body's `model`, read lazily (`lib/http/request_model.ts`). */
  model?: () => string | undefined;
  /** The claimed half-open probe of a disabled account among `accounts` (tried first). */
  probe?: { accountId: string; claim: string };
}

/** Forwards a request, failing over between accounts; always resolves with a response. */
export async function forwardWithFailover(
  context: ProxyContext,
  job: ProxyRequest,
): Promise<Response> {
  const { policy } = context;
  const hooks = context.hooks ?? {};
  const surface = job.route.provider.surface;
  let limit = 1 + policy.maxSwitches;
  const holdMs = (policy.preambleHoldSeconds ?? DEFAULT_PREAMBLE_HOLD_MS / 1000) * 1000;
  const clientHeaders = forwardableRequestHeaders(job.request.headers);
  const blast = new BlastRadius();
  let lastUnreachable = "";
  let lastError: BufferedError | undefined;
  let tried = 0;

  const accounts = probeFirst(job.accounts, job.probe?.accountId);
  for (const [index, account] of accounts.entries()) {
    const probing = account.id === job.probe?.accountId;
    if (tried >= limit) break;
    // A concurrency slot, where the account has a limit; a full account is skipped, not tried.
    const slot = await hooks.slot?.(account);
    if (slot === null) {
      job.attempts.push({ account: account.id, outcome: "full" });
      continue;
    }
    const release = () => void slot?.release();
    if (probing) limit++; // a probe is extra: the request keeps every normal attempt
    tried++;
    const isLast = tried >= limit || index === accounts.length - 1;
    context.touch(account.id);
    const sent = await sendWithCredential(context, job, account, clientHeaders, tried);
    const timing = sent.timing;
    if (sent.kind === "no-credential") {
      await record(
        context,
        job,
        account,
        { outcome: "failover", effect: sent.effect },
        "auth",
        undefined,
        timing,
      );
      lastUnreachable = sent.detail;
      lastError = undefined;
      release();
      continue;
    }
    const result = sent.result;

    if (result.kind === "client-gone") {
      release();
      job.attempts.push({ account: account.id, outcome: "client-gone", ...timing });
      return errorResponse(surface, 499, "client closed the request");
    }
    if (result.kind === "unreachable") {
      const verdict = classifyConnectionFailure(policy, Date.now());
      await record(context, job, account, verdict, "unreachable", undefined, timing);
      lastUnreachable = result.detail;
      lastError = undefined;
      release();
      continue;
    }

    const upstream = result.response;
    hooks.observe?.(account, upstream.headers);
    if (upstream.status < 400) {
      let body: ReadableStream<Uint8Array> | null = upstream.body;
      if (
        body && holdMs > 0 && hasPreamble(job.route.upstreamPath) && isEventStream(upstream.headers)
      ) {
        // Nothing has reached the client yet: an error before the first content can still move on.
        const start = await holdPreamble(body, holdMs);
        if (start.kind === "dropped") {
          await record(
            context,
            job,
            account,
            classifyConnectionFailure(policy, Date.now()),
            "dropped",
          );
          lastUnreachable = "stream failed before any content";
          lastError = undefined;
          release();
          continue;
        }
        if (start.kind === "error") {
          const answer = errorEventAnswer(start.event, upstream.headers);
          const rule = errorRuleFor(context, account, upstream.status, start.event.data);
          const verdict = classifyResponse(
            answer,
            account.passthrough,
            policy,
            Date.now(),
            rule,
            facts(job, account),
          );
          const decision = probing
            ? PROBE_DECISION
            : blast.judge(blastKind(verdict.effect, answer.status, null, answer.body));
          if (decision.apply) {
            await record(context, job, account, verdict, `preamble-${verdict.outcome}`, 200);
          }
          if ((verdict.outcome === "failover" || probing) && !isLast && !decision.stop) {
            await start.reader.cancel().catch(() => {});
            lastUnreachable = "stream failed before any content";
            lastError = undefined;
            release();
            continue;
          }
          const rewritten = rewrite(surface, verdict.rule, answer.status, answer.body, account);
          if (rewritten) {
            await start.reader.cancel().catch(() => {});
            release();
            return rewritten;
          }
          return relay(upstream, observeStream(start.reader, release, start.held), account);
        }
        body = observeStream(start.reader, release, start.held, start.pending);
      } else if (body && slot) {
        body = observeStream(body, release);
      } else {
        release();
      }
      const verdict = classifyResponse(
        { status: upstream.status, headers: upstream.headers, body: "" },
        account.passthrough,
        policy,
        Date.now(),
      );
      settle(context, job, account, verdict.effect).catch(reportStateError);
      job.attempts.push({
        account: account.id,
        outcome: "success",
        status: upstream.status,
        ...timing,
        ...(probing ? { probe: true as const } : {}),
      });
      return relay(upstream, body, account);
    }

    // An error: classify one branch, keep the other for the client.
    const [forClassifier, forClient] = upstream.body ? upstream.body.tee() : [null, null];
    const text = forClassifier
      ? await readErrorPrefix(forClassifier, job.request.signal, policy)
      : "";
    const verdict = classifyResponse(
      { status: upstream.status, headers: upstream.headers, body: text },
      account.passthrough,
      policy,
      Date.now(),
      errorRuleFor(context, account, upstream.status, text),
      facts(job, account),
    );
    // A failed probe neither counts toward the blast radius nor reaches the client.
    const decision = probing ? PROBE_DECISION : blast.judge(
      blastKind(verdict.effect, upstream.status, upstream.headers.get("content-type"), text),
    );
    if (decision.apply) {
      await record(context, job, account, verdict, verdict.outcome, upstream.status, timing);
    } else {
      job.attempts.push({
        account: account.id,
        outcome: "spared",
        status: upstream.status,
        ...timing,
      });
    }
    if ((verdict.outcome === "failover" || probing) && !isLast && !decision.stop) {
      await forClient?.cancel().catch(() => {});
      lastError = { upstream, text, account, rule: verdict.rule };
      release();
      continue;
    }
    if (decision.stop) job.attempts.push({ account: account.id, outcome: "blast-radius-stop" });
    const rewritten = rewrite(surface, verdict.rule, upstream.status, text, account);
    if (rewritten) {
      await forClient?.cancel().catch(() => {});
      release();
      return rewritten;
    }
    return relay(
      upstream,
      forClient && slot ? observeStream(forClient, release) : forClient,
      account,
      release,
    );
  }

  if (tried === 0) {
    return errorResponse(surface, 429, "every account is at its concurrency limit; retry shortly", {
      "retry-after": "1",
    });
  }
  if (lastError) {
    // The accounts after this error were all at their concurrency limit.
    const { upstream, text, account, rule } = lastError;
    return rewrite(surface, rule, upstream.status, text, account) ??
      relay(upstream, new Blob([text]).stream(), account);
  }
  return errorResponse(
    surface,
    502,
    `no upstream account could be reached (${lastUnreachable || "no attempt"})`,
  );
}

/** One attempt's outcome, with the account's credential resolved. */
type CredentialedAttempt =
  | { kind: "sent"; result: AttemptResult; timing: AttemptTiming }
  /** The account has no usable credential (an OAuth refresh failed). */
  | { kind: "no-credential"; effect: AccountEffect; detail: string; timing: AttemptTiming };

/** When an attempt started and how long it took to answer. */
interface AttemptTiming {
  startedAt: number;
  ms: number;
}

/**
 * Sends the request to one account with its credential: the static key, or an
 * OAuth token from the pool's hook. An OAuth account's 401 refreshes the
 * token and retries the same account once.
 */
async function sendWithCredential(
  context: ProxyContext,
  job: ProxyRequest,
  account: Account,
  clientHeaders: Headers,
  attemptNumber: number,
): Promise<CredentialedAttempt> {
  const startedAt = Date.now();
  const clock = performance.now();
  const timing = () => ({ startedAt, ms: Math.round((performance.now() - clock) * 100) / 100 });
  const send = async (rejectedToken?: string) => {
    const headers = new Headers(clientHeaders);
    const auth = await context.hooks?.authorize?.(account, headers, rejectedToken) ??
      (job.route.provider.authorize(headers, account, context.credentialFor(account)),
        { ok: true as const });
    if (!auth.ok) return auth;
    const result = await withAttemptSpan(account.id, attemptNumber, () =>
      sendAttempt(
        {
          url: upstreamUrl(account, job.route.upstreamPath, job.url.search),
          method: job.request.method,
          headers,
          body: job.bodyFor ? job.bodyFor(account) : job.body,
        },
        context.policy.headersTimeoutSeconds * 1000,
        job.request.signal,
      ));
    return { ok: true as const, token: auth.token, result };
  };

  let sent = await send();
  if (
    sent.ok && sent.token && sent.result.kind === "response" && sent.result.response.status === 401
  ) {
    await sent.result.response.body?.cancel().catch(() => {});
    job.attempts.push({ account: account.id, outcome: "refresh", status: 401 });
    sent = await send(sent.token);
  }
  if (!sent.ok) {
    return { kind: "no-credential", effect: sent.effect, detail: sent.detail, timing: timing() };
  }
  return { kind: "sent", result: sent.result, timing: timing() };
}

/** An error answer kept (as its classified prefix) in case no later account can be tried. */
interface BufferedError {
  upstream: Response;
  text: string;
  account: Account;
  rule?: CompiledErrorRule;
}

/** The first of the operator's error rules that fits this error, if any. */
function errorRuleFor(
  context: ProxyContext,
  account: Account,
  status: number,
  text: string,
): CompiledErrorRule | undefined {
  const rules = context.errorRules?.();
  if (!rules || rules.length === 0) return undefined;
  return matchErrorRule(compileErrorRules(rules), {
    status,
    platform: account.platform,
    account: account.id,
    text,
  });
}

/** The error as the rule that decided rewrites it for the client, or `undefined`. */
function rewrite(
  surface: Surface,
  rule: CompiledErrorRule | undefined,
  status: number,
  text: string,
  account: Account,
): Response | undefined {
  const response = rewrittenError(surface, rule, status, text);
  response?.headers.set(ACCOUNT_HEADER, account.id);
  return response;
}

/**
 * Reads the part of an error body that classification needs. An upstream that
 * never finishes its error body is classified on what arrived within the
 * headers timeout (at most 30 s).
 */
async function readErrorPrefix(
  body: ReadableStream<Uint8Array>,
  clientSignal: AbortSignal,
  policy: FailoverPolicy,
): Promise<string> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(),
    Math.min(policy.headersTimeoutSeconds * 1000, 30_000),
  );
  try {
    return await readPrefixText(
      body,
      CLASSIFY_BODY_LIMIT,
      AbortSignal.any([clientSignal, deadline.signal]),
    );
  } finally {
    clearTimeout(timer);
  }
}

function relay(
  upstream: Response,
  body: ReadableStream<Uint8Array> | null,
  account: Account,
  release?: () => void,
): Response {
  if (!body) release?.();
  const headers = forwardableResponseHeaders(upstream.headers);
  headers.set(ACCOUNT_HEADER, account.id);
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
}

async function record(
  context: ProxyContext,
  job: ProxyRequest,
  account: Account,
  verdict: Verdict,
  outcome: string,
  status?: number,
  timing?: { startedAt: number; ms: number },
): Promise<void> {
  const effect = verdict.effect;
  job.attempts.push({
    account: account.id,
    outcome,
    status,
    effect: effect.kind === "cooldown"
      ? `cooldown:${effect.reason}`
      : effect.kind === "disable"
      ? "disable"
      : undefined,
    ...(verdict.rule ? { rule: verdict.rule.name } : {}),
    ...timing,
    ...(account.id === job.probe?.accountId ? { probe: true as const } : {}),
  });
  // Await so the next request, on any process, already sees this account's new state.
  await settle(context, job, account, effect).catch(reportStateError);
}

/** Applies an answer's effect to the account, or settles the probe when the attempt was one. */
function settle(
  context: ProxyContext,
  job: ProxyRequest,
  account: Account,
  effect: AccountEffect,
): Promise<void> {
  const probe = job.probe;
  if (probe && probe.accountId === account.id) {
    return context.states.settleProbe(account.id, probe.claim, effect);
  }
  return context.states.apply(account.id, effect);
}

/** A probe's errors are neither counted nor final. */
const PROBE_DECISION = { apply: true, stop: false };

/** The probing account first, the others in their planned order. */
function probeFirst(accounts: readonly Account[], probeId: string | undefined): readonly Account[] {
  const probe = probeId === undefined ? undefined : accounts.find((a) => a.id === probeId);
  return probe ? [probe, ...accounts.filter((a) => a !== probe)] : accounts;
}

/** What the classifier may know of the request and the account. */
function facts(job: ProxyRequest, account: Account): RequestFacts {
  return { model: job.model?.(), oauth: account.oauth !== undefined };
}

function reportStateError(error: unknown): void {
  console.error(
    JSON.stringify({ level: "error", msg: "account state write failed", error: String(error) }),
  );
}
