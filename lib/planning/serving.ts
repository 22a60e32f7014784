/**
 * How an account would serve a request: natively (it speaks the client's
 * API), through translation (it speaks another), or not at all. Pure, for
 * the planner (`planner.ts`), which puts native accounts before translated
 * ones of equal priority.
 *
 * - A request outside the three translatable APIs (embeddings, files,
 *   `count_tokens`, ...) is served by accounts of its own platform only, as
 *   it is.
 * - A Claude subscription account serves Claude Code's own requests only,
 *   and never a translated one: Switchyard does not make other clients look
 *   like Claude Code (`lib/protocols/claude/client.ts`).
 * - A group with `"translate": false` is served natively only.
 *
 * @module
 */

import type { Account, Platform } from "../config/types.ts";
import type { Api } from "../protocols/translate/ir.ts";
import { nativeApis } from "../providers/provider.ts";

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
}

/** How `account` serves `request`, or `null` when it cannot. */
export function servingMode(account: Account, request: ServingRequest): ServingMode | null {
  if (request.api === undefined) return account.platform === request.platform ? "native" : null;
  const native = nativeApis(account);
  if (native.claudeCodeOnly && !(native.apis.includes(request.api) && request.claudeCode())) {
    return null;
  }
  if (native.apis.includes(request.api)) return "native";
  return request.translate ? "translated" : null;
}
