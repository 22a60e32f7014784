/**
 * Which client API a `/v1/*` path belongs to, and so its surface (error
 * shape) and the platform whose accounts serve it natively: `/v1/messages`
 * (and below) is Anthropic's Messages API; every other `/v1/*` path is the
 * OpenAI API. The path sent upstream is the part after `/v1`.
 *
 * @module
 */

import type { ApiFamily } from "../config/types.ts";
import type { Api } from "./translate/ir.ts";

/** A client path resolved to its API. */
export interface ApiRoute {
  /** The API family: the client's surface, and the platform of the accounts that serve it. */
  family: ApiFamily;
  /** The API's name in messages to clients, e.g. "Anthropic Messages API". */
  api: string;
  /** The path after `/v1`, e.g. `/chat/completions`. */
  upstreamPath: string;
}

/**
 * Does this API stream preamble events that may be followed by an error?
 * The Responses API (`response.created`, then `response.failed`) and Anthropic
 * Messages (`message_start`, then `event: error`) do. Chat Completions streams
 * start with content, so they are relayed untouched (and at full speed).
 */
export function hasPreamble(upstreamPath: string): boolean {
  return upstreamPath.startsWith("/responses") || upstreamPath.startsWith("/messages");
}

/** Resolves an API path; `null` for paths outside `/v1/`. */
export function routeApiPath(pathname: string): ApiRoute | null {
  if (!pathname.startsWith("/v1/")) return null;
  const upstreamPath = pathname.slice(3);
  const isMessages = upstreamPath === "/messages" || upstreamPath.startsWith("/messages/");
  return isMessages
    ? { family: "anthropic", api: "Anthropic Messages API", upstreamPath }
    : { family: "openai", api: "OpenAI API", upstreamPath };
}

/** The translatable client API of a request (an inference call), if it is one. */
export function clientApiOf(method: string, upstreamPath: string): Api | undefined {
  if (method !== "POST") return undefined;
  return CLIENT_APIS[upstreamPath];
}

/** The other API family (translation reaches its accounts). */
export function otherFamily(family: ApiFamily): ApiFamily {
  return family === "openai" ? "anthropic" : "openai";
}

/** The upstream path of each client API. */
export const API_PATHS: Readonly<Record<Api, string>> = {
  chat: "/chat/completions",
  responses: "/responses",
  messages: "/messages",
};

const CLIENT_APIS: Readonly<Record<string, Api>> = {
  "/chat/completions": "chat",
  "/responses": "responses",
  "/messages": "messages",
};
