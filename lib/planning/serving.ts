/**
 * How an account would serve a request: natively (it speaks the client's
 * API), through translation (it speaks another), or not at all. Pure, for
 * the planner (`planner.ts`), which puts native accounts before translated
 * ones of equal priority.
 *
 * - A request outside the three translatable APIs (embeddings, files,
 *   `count_tokens`, ...) is served by accounts of its own platform only, as
 *   it is; but a model listing, when the group translates, also by the other
 *   platform's API-key accounts (the list is put in the client's shape).
 * - A Claude subscription account serves Claude Code's own requests only,
 *   and never a translated one: Switchyard does not make other clients look
 *   like Claude Code (`lib/protocols/claude/client.ts`).
 * - A group with `"translate": false` is served natively only.
 *
 * When no account of a group serves a request by these rules,
 * {@linkcode unservedReason} says why, for a refusal no client retries:
 * waiting changes nothing (unlike accounts that are cooling).
 *
 * @module
 */

import type { Account, Platform } from "../config/types.ts";
import type { Api } from "../protocols/translate/ir.ts";
import { isCodexAccount, nativeApis, providerOf } from "../providers/provider.ts";

/** How an account serves a request. */
export type ServingMode = "native" | "translated";

/** What about the request decides the mode. */
export interface ServingRequest {
  /** The request's platform (its surface). */
  platform: Platform;
  /** Its translatable client API, if it is one. */
  api?: Api;
  /** The group allows translation. */
  translate: boolean;
  /** The request comes from Claude Code itself (asked only for a Claude subscription account). */
  claudeCode(): boolean;
  /** A model listing (`GET /v1/models`), which both platforms answer. */
  listing?: boolean;
}

/** How `account` serves `request`, or `null` when it cannot. */
export function servingMode(account: Account, request: ServingRequest): ServingMode | null {
  if (request.api === undefined) {
    if (account.platform === request.platform) return "native";
    return request.listing && request.translate && listsAcross(account) ? "translated" : null;
  }
  const native = nativeApis(account);
  if (native.claudeCodeOnly && !(native.apis.includes(request.api) && request.claudeCode())) {
    return null;
  }
  if (native.apis.includes(request.api)) return "native";
  return request.translate ? "translated" : null;
}

const API_NAMES: Readonly<Record<Api, string>> = {
  chat: "Chat Completions API",
  responses: "Responses API",
  messages: "Messages API",
};

/** Why no account of `accounts` serves `request`; `undefined` when one does. */
export function unservedReason(
  accounts: readonly Account[],
  request: ServingRequest,
): string | undefined {
  if (accounts.length === 0 || accounts.some((a) => servingMode(a, request) !== null)) {
    return undefined;
  }
  return [...new Set(accounts.map((account) => whyNot(account, request)))].join("; ");
}

/** Why `account` cannot serve `request` (it does not, by `servingMode`). */
function whyNot(account: Account, request: ServingRequest): string {
  const { api } = request;
  if (api === undefined) {
    if (request.listing && request.translate) {
      return `${kindName(account)} accounts do not list models for ${request.platform} clients`;
    }
    return `${account.platform} accounts do not serve this ${request.platform} endpoint`;
  }
  if (nativeApis(account).claudeCodeOnly) {
    return "Claude subscription accounts serve Claude Code only";
  }
  return `translation is off for this group, and ${kindName(account)} accounts ` +
    `do not serve the ${API_NAMES[api]}`;
}

const KIND_NAMES = {
  openai: "OpenAI API key",
  codex: "Codex",
  anthropic: "Anthropic API key",
  claude: "Claude subscription",
} as const;

function kindName(account: Account): string {
  return KIND_NAMES[isCodexAccount(account) ? "codex" : providerOf(account).kind];
}

/**
 * Does `account` list its models for the other platform's clients? API-key
 * accounts do; a subscription's backend lists none for other clients.
 */
function listsAcross(account: Account): boolean {
  return account.oauth === undefined && !isCodexAccount(account);
}
