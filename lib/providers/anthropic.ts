/**
 * Anthropic upstreams. API keys travel as `x-api-key`; a request without an
 * `anthropic-version` (plain curl) gets the stable default so it still works.
 *
 * @module
 */

import type { Provider } from "./provider.ts";

/** The API version sent when the client names none. */
export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

/** The Anthropic provider. */
export const anthropicProvider: Provider = {
  platform: "anthropic",
  surface: "anthropic",
  api: "Anthropic Messages API",
  authorize(headers, _account, credential) {
    headers.set("x-api-key", credential);
    if (!headers.has("anthropic-version")) {
      headers.set("anthropic-version", DEFAULT_ANTHROPIC_VERSION);
    }
  },
};
