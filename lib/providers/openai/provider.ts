/**
 * OpenAI-compatible API keys (the OpenAI API, or any compatible upstream):
 * the key travels as `Authorization: Bearer`, with the account's
 * `organization` and `project`, when configured, as `OpenAI-Organization` and
 * `OpenAI-Project` (a client's own never reach the account: `lib/http/headers.ts`).
 *
 * @module
 */

import type { HeaderEditor } from "../../http/outgoing_headers.ts";
import type { ApiKeyProvider } from "../kinds.ts";

/** An OpenAI API key account. */
export const openaiApi: ApiKeyProvider = {
  kind: "openai",
  platform: "openai",
  // And every other OpenAI endpoint (embeddings, files, ...), forwarded as is.
  serves: { apis: ["chat", "responses"] },
  authorize(headers, account) {
    setBearer(headers, account.apiKey);
    if (account.organization) headers.set("openai-organization", account.organization);
    if (account.project) headers.set("openai-project", account.project);
  },
};

/** `Authorization: Bearer <token>`, as the OpenAI family (and every OAuth sign-in) sends it. */
export function setBearer(headers: HeaderEditor, token: string): void {
  headers.set("authorization", `Bearer ${token}`);
}

/** An OAuth sign-in's access token in place of any API key the client sent. */
export function setOAuthBearer(headers: HeaderEditor, accessToken: string): void {
  headers.delete("x-api-key");
  setBearer(headers, accessToken);
}
