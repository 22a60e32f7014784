/**
 * One upstream attempt: a fetch bounded by the headers timeout and tied to the
 * client's connection. The timeout covers only the wait for response headers;
 * once they arrive the body streams for as long as it takes, and only a client
 * disconnect aborts it. Fetch is kept from re-sending a request on its own
 * (see `unpooled` below); the one re-send is ours, counted and logged: a
 * pooled connection that closed before any response byte (see `sendAttempt`).
 *
 * @module
 */

import type { HeaderPairs } from "../http/headers.ts";
import type { EgressClients } from "../http/proxy_clients.ts";
import { Deadlines } from "../http/deadlines.ts";

/** The result of sending one request upstream. */
export type AttemptResult =
  | {
    kind: "response";
    response: Response;
    stale?: StaleConnection;
    /** Ends the attempt: the body errors and the connection closes (a body that stalls). */
    abort(): void;
  }
  /** No response headers: connection refused or reset, DNS failure, or the headers timeout. */
  | { kind: "unreachable"; timedOut: boolean; detail: string; stale?: StaleConnection }
  /** The client went away; nothing more should be done for this request. */
  | { kind: "client-gone" };

/** A first try whose pooled connection closed before any response byte; the answer is the retry's. */
export interface StaleConnection {
  /** How it failed (`connection closed` or `connection reset`). */
  detail: string;
  /** How long the first try took. */
  ms: number;
}

/** What an attempt sends. */
export interface AttemptRequest {
  url: string;
  method: string;
  /** As pairs: `fetch` converts them once (a `Headers` it would iterate, sorted, and check again). */
  headers: HeaderPairs;
  body: Uint8Array<ArrayBuffer> | null;
  /** The account's egress proxy clients (`lib/http/proxy_clients.ts`); direct when absent. */
  egress?: EgressClients;
}

/**
 * Deno's `fetch` sends a request again, once and silently, when a keep-alive
 * connection taken from its pool closes or resets before the answer, however
 * much of the request the upstream had read. It does so only for a body it
 * can replay (bytes, a string, or none) and never on a fresh connection.
 * Every attempt must reach its account at most once, so a body goes as a
 * `Blob` (fetch streams it, so cannot replay it, and still sends its
 * `Content-Length`), and a request without one, which has nothing to stream,
 * goes on a connection of its own: a client with no pool.
 */
const unpooled = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

/** Every attempt's headers deadline, behind one timer (a timer per attempt was 2% of the CPU). */
const deadlines = new Deadlines();

/**
 * Sends one attempt. Never throws.
 *
 * A request with a body goes on a pooled keep-alive connection, and an
 * upstream may close an idle one just as it is reused: the request never
 * reached the server, and fetch says only "connection closed before message
 * completed" (or a reset), the same words as for a fresh connection that
 * failed. So a pooled try that fails that way, before any response byte, is
 * tried once more at once on a fresh connection, within the same headers
 * deadline; only the fresh connection's failure counts against the account.
 */
export async function sendAttempt(
  request: AttemptRequest,
  headersTimeoutMs: number,
  clientSignal: AbortSignal,
): Promise<AttemptResult> {
  if (clientSignal.aborted) return { kind: "client-gone" };
  // One signal for the fetch: the client going away aborts it (for the response body's life
  // too, so the listener stays) and so does the headers deadline. AbortSignal.any did the
  // same at twice the cost (1% of the CPU).
  const attempt = new AbortController();
  clientSignal.addEventListener("abort", () => attempt.abort(clientSignal.reason), { once: true });
  const cancelDeadline = deadlines.after(
    headersTimeoutMs,
    () => attempt.abort(new DOMException("no response headers in time", "TimeoutError")),
  );
  const started = performance.now();
  let stale: StaleConnection | undefined;
  const { egress } = request;
  const send = (sent: ReturnType<typeof sentOnce>) =>
    fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...sent,
      redirect: "manual",
      signal: attempt.signal,
    });
  try {
    let response: Response;
    try {
      response = await send(sentOnce(request.body, egress));
    } catch (error) {
      if (attempt.signal.aborted || !pooled(request.body) || !mayBeStale(error)) throw error;
      const ms = Math.round((performance.now() - started) * 100) / 100;
      stale = { detail: describe(error), ms };
      response = await send({ body: new Blob([request.body]), client: egress?.fresh ?? unpooled });
    }
    const abort = () => attempt.abort(new DOMException("the answer stalled", "TimeoutError"));
    return { kind: "response", response, ...(stale ? { stale } : {}), abort };
  } catch (error) {
    if (clientSignal.aborted) return { kind: "client-gone" };
    // Not the client: only the deadline aborts the attempt.
    const timedOut = attempt.signal.aborted;
    return {
      kind: "unreachable",
      timedOut,
      detail: timedOut ? "headers timeout" : egress ? describeProxied(error) : describe(error),
      ...(stale ? { stale } : {}),
    };
  } finally {
    cancelDeadline();
  }
}

/** Whether the request goes on a pooled connection: one with a body (see {@linkcode unpooled}). */
function pooled(body: Uint8Array<ArrayBuffer> | null): body is Uint8Array<ArrayBuffer> {
  return body !== null && body.byteLength > 0;
}

/**
 * The body and client that keep fetch from sending the request twice (see
 * {@linkcode unpooled}); through the account's proxy when it has one.
 */
function sentOnce(
  body: Uint8Array<ArrayBuffer> | null,
  egress: EgressClients | undefined,
): { body: Blob | Uint8Array<ArrayBuffer> | null; client?: Deno.HttpClient } {
  if (pooled(body)) return { body: new Blob([body]), ...(egress ? { client: egress.pooled } : {}) };
  return { body, client: egress?.fresh ?? unpooled };
}

/**
 * Whether a failure may be a reused connection the upstream had closed: closed
 * or reset while the request went out or its answer was awaited (hyper's
 * "client error (SendRequest)": "connection closed before message completed",
 * the same words for a fresh connection). A failure to connect (hyper's
 * "client error (Connect)": refused, reset, DNS, TLS) was a fresh connection.
 */
export function mayBeStale(error: unknown): boolean {
  const text = chainText(error);
  const detail = describeText(text);
  return (detail === "connection closed" || detail === "connection reset") &&
    !/\(Connect\)/.test(text);
}

/**
 * A short, secret-free description of a network error (no URLs: they may carry
 * tokens). Deno's fetch says "fetch failed" or "error sending request" and
 * keeps the reason in the cause chain, so the whole chain is read.
 */
export function describe(error: unknown): string {
  return describeText(chainText(error));
}

/**
 * {@linkcode describe} for an account behind a proxy: a failure to connect
 * (hyper's "(Connect)": the TCP connection, the proxy's handshake or its
 * refusal) is named `proxy unreachable`, as the gateway only ever connects
 * to the proxy.
 */
export function describeProxied(error: unknown): string {
  const text = chainText(error);
  if (!/\(Connect\)/.test(text)) return describeText(text);
  // An HTTP proxy that turns CONNECT down (wrong credentials, a refused port): "unsuccessful
  // tunnel"; a SOCKS5 proxy that refuses the credentials: "No acceptable auth methods" and kin.
  const reason = /unsuccessful tunnel/i.test(text)
    ? "tunnel refused"
    : /\bauth/i.test(text)
    ? "authentication refused"
    : describeText(text);
  return `proxy unreachable (${reason})`;
}

/** The messages of an error and its causes, joined. */
function chainText(error: unknown): string {
  const messages: string[] = [];
  for (let link = error, depth = 0; link instanceof Error && depth < 5; depth++) {
    messages.push(link.message);
    link = (link as Error & { cause?: unknown }).cause;
  }
  return messages.join(" | ");
}

function describeText(text: string): string {
  if (/refused/i.test(text)) return "connection refused";
  if (/reset/i.test(text)) return "connection reset";
  if (/closed|incomplete message|unexpected eof|broken pipe/i.test(text)) {
    return "connection closed";
  }
  if (/dns|lookup|resolve|name or service/i.test(text)) return "dns failure";
  if (/tls|certificate|handshake/i.test(text)) return "tls failure";
  return "network error";
}
