/**
 * Maps a client path to the provider that serves it and to the upstream URL.
 * `/v1/messages` (and below) is Anthropic's; every other `/v1/*` path is
 * OpenAI's. The upstream URL is the account's base URL plus the path after
 * `/v1` plus the query string.
 *
 * @module
 */

import type { Account, Platform } from "../config/types.ts";
import { anthropicProvider } from "./anthropic/provider.ts";
import { openaiProvider } from "./openai/provider.ts";
import type { Provider } from "./provider.ts";

/** Every provider, by platform. */
export const PROVIDERS: Readonly<Record<Platform, Provider>> = {
  openai: openaiProvider,
  anthropic: anthropicProvider,
};

/** A client path resolved to its provider. */
export interface Route {
  provider: Provider;
  /** The path after `/v1`, e.g. `/chat/completions`. */
  upstreamPath: string;
}

/** Resolves an API path; `null` for paths outside `/v1/`. */
export function routeApiPath(pathname: string): Route | null {
  if (!pathname.startsWith("/v1/")) return null;
  const upstreamPath = pathname.slice(3);
  const isMessages = upstreamPath === "/messages" || upstreamPath.startsWith("/messages/");
  return { provider: isMessages ? anthropicProvider : openaiProvider, upstreamPath };
}

/** The upstream URL for an account. */
export function upstreamUrl(account: Account, upstreamPath: string, search: string): string {
  return `${account.baseUrl}${upstreamPath}${search}`;
}
