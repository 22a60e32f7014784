/**
 * One upstream attempt: a fetch bounded by the headers timeout and tied to the
 * client's connection. The timeout covers only the wait for response headers;
 * once they arrive the body streams for as long as it takes, and only a client
 * disconnect aborts it.
 *
 * @module
 */

/** The result of sending one request upstream. */
export type AttemptResult =
  | { kind: "response"; response: Response }
  /** No response headers: connection refused or reset, DNS failure, or the headers timeout. */
  | { kind: "unreachable"; timedOut: boolean; detail: string }
  /** The client went away; nothing more should be done for this request. */
  | { kind: "client-gone" };

/** What an attempt sends. */
export interface AttemptRequest {
  url: string;
  method: string;
  headers: Headers;
  body: Uint8Array<ArrayBuffer> | null;
}

/** Sends one attempt. Never throws. */
export async function sendAttempt(
  request: AttemptRequest,
  headersTimeoutMs: number,
  clientSignal: AbortSignal,
): Promise<AttemptResult> {
  if (clientSignal.aborted) return { kind: "client-gone" };
  const headersDeadline = new AbortController();
  const timer = setTimeout(
    () => headersDeadline.abort(new DOMException("no response headers in time", "TimeoutError")),
    headersTimeoutMs,
  );
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.any([clientSignal, headersDeadline.signal]),
    });
    return { kind: "response", response };
  } catch (error) {
    if (clientSignal.aborted) return { kind: "client-gone" };
    const timedOut = headersDeadline.signal.aborted;
    return {
      kind: "unreachable",
      timedOut,
      detail: timedOut ? "headers timeout" : describe(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A short, secret-free description of a network error (no URLs: they may carry tokens). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return "network error";
  const cause = (error as Error & { cause?: unknown }).cause;
  const code = cause instanceof Error ? cause.name : error.name;
  if (/refused/i.test(error.message)) return "connection refused";
  if (/reset/i.test(error.message)) return "connection reset";
  if (/dns|lookup|resolve/i.test(error.message)) return "dns failure";
  return code || "network error";
}
