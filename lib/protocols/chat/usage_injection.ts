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
import type { BodyFields } from "../body_fields.ts";
import { isObject } from "../json.ts";

/** The body rewrite for one chat request, or `null` when none is needed. */
export interface UsageInjection {
  /** The request body with `stream_options.include_usage: true`. */
  body: Uint8Array<ArrayBuffer>;
  /** The body for an account: rewritten for standard accounts, original for passthrough. */
  bodyFor(account: Account): Uint8Array<ArrayBuffer> | null;
}

const encoder = new TextEncoder();

/** Plans the rewrite for an OpenAI `/chat/completions` streaming request that lacks include_usage. */
export function planUsageInjection(
  upstreamPath: string,
  body: Uint8Array<ArrayBuffer> | null,
  fields: BodyFields,
): UsageInjection | null {
  const request = fields.json;
  if (upstreamPath !== "/chat/completions" || body === null || !request || !fields.stream) {
    return null;
  }
  const options = request.stream_options;
  if (options !== undefined && !isObject(options)) return null;
  if (options?.include_usage === true) return null;
  // A copy: the parsed body is shared by every stage of the request.
  const rewritten = encoder.encode(
    JSON.stringify({ ...request, stream_options: { ...options, include_usage: true } }),
  );
  return {
    body: rewritten,
    bodyFor: (account) => account.passthrough ? body : rewritten,
  };
}
