/**
 * Asking OpenAI chat streams for their usage. A streamed chat completion
 * reports token usage only when the request sets
 * `stream_options.include_usage`; without it the gateway could not count the
 * tokens. In standard mode the gateway adds the option to the body it sends,
 * and strips the extra final usage chunk from the client's stream unless the
 * client asked for it. Passthrough accounts get the client's bytes unchanged.
 *
 * @module
 */

import type { Account } from "../../config/types.ts";

/** The body rewrite for one chat request, or `null` when none is needed. */
export interface UsageInjection {
  /** The request body with `stream_options.include_usage: true`. */
  body: Uint8Array<ArrayBuffer>;
  /** The body for an account: rewritten for standard accounts, original for passthrough. */
  bodyFor(account: Account): Uint8Array<ArrayBuffer> | null;
}

/** Shared: a decoder per call was a visible cost on the request path. */
const decoder = new TextDecoder();
const STREAMING = /"stream"\s*:\s*true/;

/** Plans the rewrite for an OpenAI `/chat/completions` streaming request that lacks include_usage. */
export function planUsageInjection(
  upstreamPath: string,
  body: Uint8Array<ArrayBuffer> | null,
): UsageInjection | null {
  if (upstreamPath !== "/chat/completions" || body === null || body.byteLength === 0) return null;
  const text = decoder.decode(body);
  if (!STREAMING.test(text)) return null;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return null;
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) return null;
  const request = document as Record<string, unknown>;
  if (request.stream !== true) return null;
  const options = request.stream_options;
  if (options !== undefined && (options === null || typeof options !== "object")) return null;
  if ((options as Record<string, unknown> | undefined)?.include_usage === true) return null;
  request.stream_options = { ...(options as object | undefined), include_usage: true };
  const rewritten = new TextEncoder().encode(JSON.stringify(request));
  return {
    body: rewritten,
    bodyFor: (account) => account.passthrough ? body : rewritten,
  };
}
