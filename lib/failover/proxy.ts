/**
 * The failover loop: the I/O around the pure classifier. It tries the planned
 * accounts in order, streams the first success straight through, and moves on
 * only while the client has seen nothing. Error bodies are `tee()`d: one
 * branch (at most 64 KiB) is classified, the other reaches the client whole
 * when the error is passed back. Success bodies are never teed or buffered.
 *
 * @module
 */

import type { Account, FailoverPolicy } from "../config/types.ts";
import { readPrefixText } from "../http/body.ts";
import { errorResponse } from "../http/errors.ts";
import { forwardableRequestHeaders, forwardableResponseHeaders } from "../http/headers.ts";
import type { Route } from "../providers/routing.ts";
import { upstreamUrl } from "../providers/routing.ts";
import type { AccountStateStore } from "../state/account_state.ts";
import { withAttemptSpan } from "../observe/tracing.ts";
import { sendAttempt } from "./attempt.ts";
import {
  CLASSIFY_BODY_LIMIT,
  classifyConnectionFailure,
  classifyResponse,
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
  /** When the attempt started (epoch ms) and how long until headers or failure. */
  startedAt?: number;
  ms?: number;
}

/** Everything the loop needs from the gateway. */
export interface ProxyContext {
  policy: FailoverPolicy;
  states: AccountStateStore;
  /** The account's upstream credential. */
  credentialFor(account: Account): string;
  /** Marks an account as just used, for least-recently-used ordering. */
  touch(accountId: string): void;
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
}

/** Forwards a request, failing over between accounts; always resolves with a response. */
export async function forwardWithFailover(
  context: ProxyContext,
  job: ProxyRequest,
): Promise<Response> {
  const { policy, states } = context;
  const surface = job.route.provider.surface;
  const tries = job.accounts.slice(0, 1 + policy.maxSwitches);
  const clientHeaders = forwardableRequestHeaders(job.request.headers);
  let lastUnreachable = "";

  for (const [index, account] of tries.entries()) {
    const isLast = index === tries.length - 1;
    context.touch(account.id);
    const headers = new Headers(clientHeaders);
    job.route.provider.authorize(headers, account, context.credentialFor(account));
    const startedAt = Date.now();
    const clock = performance.now();
    const result = await withAttemptSpan(account.id, index + 1, () =>
      sendAttempt(
        {
          url: upstreamUrl(account, job.route.upstreamPath, job.url.search),
          method: job.request.method,
          headers,
          body: job.bodyFor ? job.bodyFor(account) : job.body,
        },
        policy.headersTimeoutSeconds * 1000,
        job.request.signal,
      ));
    const timing = { startedAt, ms: Math.round((performance.now() - clock) * 100) / 100 };

    if (result.kind === "client-gone") {
      job.attempts.push({ account: account.id, outcome: "client-gone", ...timing });
      return errorResponse(surface, 499, "client closed the request");
    }
    if (result.kind === "unreachable") {
      const verdict = classifyConnectionFailure(policy, Date.now());
      await record(context, job, account, verdict, "unreachable", undefined, timing);
      lastUnreachable = result.detail;
      continue;
    }

    const upstream = result.response;
    if (upstream.status < 400) {
      const verdict = classifyResponse(
        { status: upstream.status, headers: upstream.headers, body: "" },
        account.passthrough,
        policy,
        Date.now(),
      );
      states.apply(account.id, verdict.effect).catch(reportStateError);
      job.attempts.push({
        account: account.id,
        outcome: "success",
        status: upstream.status,
        ...timing,
      });
      return relay(upstream, upstream.body, account);
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
    );
    await record(context, job, account, verdict, verdict.outcome, upstream.status, timing);
    if (verdict.outcome === "failover" && !isLast) {
      await forClient?.cancel().catch(() => {});
      continue;
    }
    return relay(upstream, forClient, account);
  }

  return errorResponse(
    surface,
    502,
    `no upstream account could be reached (${lastUnreachable || "no attempt"})`,
  );
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
): Response {
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
    ...timing,
  });
  // Await so the next request, on any process, already sees this account's new state.
  await context.states.apply(account.id, effect).catch(reportStateError);
}

function reportStateError(error: unknown): void {
  console.error(
    JSON.stringify({ level: "error", msg: "account state write failed", error: String(error) }),
  );
}
