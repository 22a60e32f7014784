/**
 * The responses the failover loop hands back: an upstream answer relayed
 * (its headers filtered, the serving account named in `x-switchyard-account`),
 * an error rewritten by the error rule that decided it, and the part of an
 * error body that classification reads.
 *
 * @module
 */

import type { Account, FailoverPolicy } from "../config/types.ts";
import { joined, readHead, stopWhen, type StreamHead } from "../http/body.ts";
import type { Surface } from "../http/errors.ts";
import { declaredWithin, forwardableResponseHeaders, type HeaderPairs } from "../http/headers.ts";
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
export type ErrorHead =
  /** The whole body. */
  | { complete: true; bytes: Uint8Array<ArrayBuffer>; text: string; reader?: undefined }
  /** The first bytes, and the rest still to read (to relay, or cancel with the connection). */
  | StreamHead & { complete: false; bytes: Uint8Array<ArrayBuffer>; text: string };

/**
 * Reads the part of an error body that classification needs, keeping the rest
 * for the client. An upstream that never finishes its error body is classified
 * on what arrived within the headers timeout (at most 30 s). A body whose
 * `content-length` fits the classification limit is read in one go (a reader's
 * every read is an event-loop turn: about half a millisecond per failover).
 */
export async function readErrorHead(
  upstream: Response,
  clientSignal: AbortSignal,
  policy: FailoverPolicy,
  abort: () => void,
): Promise<ErrorHead> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(),
    Math.min(policy.headersTimeoutSeconds * 1000, 30_000),
  );
  const stop = AbortSignal.any([clientSignal, deadline.signal]);
  try {
    const headers = upstream.headers;
    const declared = {
      contentLength: headers.get("content-length"),
      encoded: headers.has("content-encoding"),
    };
    if (declaredWithin(declared, CLASSIFY_BODY_LIMIT)) {
      return await readDeclared(upstream, stop, abort);
    }
    if (!upstream.body) return { complete: true, bytes: EMPTY, text: "" };
    const head = await readHead(upstream.body, CLASSIFY_BODY_LIMIT, stop);
    const bytes = joined(head.held);
    const text = decodeHead(bytes);
    return head.complete
      ? { complete: true, bytes, text }
      : { ...head, complete: false, bytes, text };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A short error body read in one go. Stopped before it is whole, nothing of it
 * is held: what arrives later is the rest, and cancelling the rest ends the
 * attempt (the connection closes, as a cancelled reader's would).
 */
async function readDeclared(
  upstream: Response,
  stop: AbortSignal,
  abort: () => void,
): Promise<ErrorHead> {
  const whole = upstream.bytes();
  const settled = whole.then((bytes) => ({ bytes }), (error: unknown) => ({ error }));
  const { stopped, release } = stopWhen(stop);
  try {
    const first = await Promise.race([settled, stopped]);
    if (first !== "stopped" && "bytes" in first) {
      return { complete: true, bytes: first.bytes, text: decodeHead(first.bytes) };
    }
  } finally {
    release();
  }
  const rest = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const outcome = await settled;
      if ("error" in outcome) return controller.error(outcome.error);
      controller.enqueue(outcome.bytes);
      controller.close();
    },
    cancel: abort,
  });
  return { complete: false, held: [], reader: rest.getReader(), bytes: EMPTY, text: "" };
}

const EMPTY = new Uint8Array(0);

function decodeHead(bytes: Uint8Array<ArrayBuffer>): string {
  return new TextDecoder().decode(bytes.subarray(0, CLASSIFY_BODY_LIMIT));
}
