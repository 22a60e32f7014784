/**
 * OpenAI-compatible upstreams: the OpenAI API and ChatGPT/Codex backends.
 * The credential travels as `Authorization: Bearer`.
 *
 * @module
 */

import type { Provider } from "./provider.ts";

/** The OpenAI provider. */
export const openaiProvider: Provider = {
  platform: "openai",
  surface: "openai",
  api: "OpenAI API",
  authorize(headers, _account, credential) {
    headers.set("authorization", `Bearer ${credential}`);
  },
};
