/**
 * Anthropic API keys: the key travels as `x-api-key`; a request without an
 * `anthropic-version` (plain curl) gets the stable default so it still works.
 *
 * @module
 */

import type { HeaderEditor } from "../../http/outgoing_headers.ts";
import type { ApiKeyProvider } from "../kinds.ts";

/** The API version sent when the client names none. */
export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

/** An Anthropic API key account. */
export const anthropicApi: ApiKeyProvider = {
  kind: "anthropic",
  platform: "anthropic",
  serves: { apis: ["messages"] },
  authorize(headers, account) {
    headers.set("x-api-key", account.apiKey);
    defaultVersion(headers);
  },
};

/** Sets `anthropic-version` when the client named none. */
export function defaultVersion(headers: HeaderEditor): void {
  if (!headers.has("anthropic-version")) {
    headers.set("anthropic-version", DEFAULT_ANTHROPIC_VERSION);
  }
}
