/**
 * The responses the failover loop hands back: an upstream answer relayed
 * (its headers filtered, the serving account named in `x-switchyard-account`),
 * an error rewritten by the error rule that decided it, and the part of an
 * error body that classification reads.
 *
 * @module
 */

import type { Account, FailoverPolicy } from "../config/types.ts";
import { joined, readHead, type StreamHead } from "../http/body.ts";
import type { Surface } from "../http/errors.ts";
import { forwardableResponseHeaders, type HeaderPairs } from "../http/headers.ts";
import { CLASSIFY_BODY_LIMIT } from "./classify.ts";
import { type CompiledErrorRule, rewrittenError } from "./error_rules.ts";
import { ACCOUNT_HEADER } from "./result.ts";

/** The upstream's answer with `body`, as the client gets it. */
export function relay(
  upstream: Response,
  body: ReadableStream<Uint8Array> | null,
  account: Account,
  release?: () => void,
  forwardable?: HeaderPairs,
): Response {
  if (!body) release?.();
  const headers = answerHeaders(upstream, account, forwardable);
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
}

/** An answer made of bytes already read whole, in the upstream's place. */
export function wholeAnswer(
  upstream: Response,
  status: number,
  bytes: Uint8Array<ArrayBuffer>,
  account: Account,
  forwardable?: HeaderPairs,
): Response {
  const headers = answerHeaders(upstream, account, forwardable);
  const statusText = status === upstream.status ? upstream.statusText : undefined;
  return new Response(bytes, { status, statusText, headers });
}

/**
 * The upstream's forwardable headers (`forwardable` when the caller has read
 * them already), the serving account named (in place of any upstream one).
 */
function answerHeaders(
  upstream: Response,
  account: Account,
  forwardable = forwardableResponseHeaders(upstream.headers),
): HeaderPairs {
  const headers = forwardable.filter(([name]) => name !== ACCOUNT_HEADER);
  headers.push([ACCOUNT_HEADER, account.id]);
  return headers;
}

/** The error as the rule that decided rewrites it for the client, or `undefined`. */
export function rewrite(
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

/** An error body's head, read for classification, and its text. */
export interface ErrorHead extends StreamHead {
  /** The head's chunks as one array. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The first {@linkcode CLASSIFY_BODY_LIMIT} bytes as text. */
  text: string;
}

/**
 * Reads the part of an error body that classification needs, keeping the rest
 * for the client. An upstream that never finishes its error body is classified
 * on what arrived within the headers timeout (at most 30 s).
 */
export async function readErrorHead(
  body: ReadableStream<Uint8Array>,
  clientSignal: AbortSignal,
  policy: FailoverPolicy,
): Promise<ErrorHead> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(),
    Math.min(policy.headersTimeoutSeconds * 1000, 30_000),
  );
  try {
    const head = await readHead(
      body,
      CLASSIFY_BODY_LIMIT,
      AbortSignal.any([clientSignal, deadline.signal]),
    );
    const bytes = joined(head.held);
    const text = new TextDecoder().decode(bytes.subarray(0, CLASSIFY_BODY_LIMIT));
    return { ...head, bytes, text };
  } finally {
    clearTimeout(timer);
  }
}
