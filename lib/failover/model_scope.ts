/**
 * Which upstream errors speak of one model rather than of the whole account.
 * Pure and table-tested: given the status, headers, parsed error body and the
 * request's model, it says whether the (account, model) pair should rest
 * instead of the account, why, and until when. The account keeps serving
 * every other model.
 *
 * What counts, provider by provider:
 * - the model is missing on this account: OpenAI `model_not_found` (a 404),
 *   Anthropic `not_found_error` with a `model: ...` message, or a 400/404
 *   whose message names the request's model and says it is not supported or
 *   does not exist (Codex on a ChatGPT account) → `modelUnavailable`;
 * - the model is at capacity: a 429, 5xx or overload answer whose message
 *   says "at capacity" or "overloaded" about the request's model or about
 *   "the/this/that/selected model" (Codex, OpenAI) → `overloaded`;
 * - a limit of the model: a 429 from Anthropic whose exhausted unified window
 *   is a model's (`anthropic-ratelimit-unified-7d_opus-*`, or a
 *   `representative-claim` such as `seven_day_opus`) and whose family the
 *   request's model belongs to, while no account-wide window (`5h`, `7d`) is
 *   exhausted → `quota` until that window resets; or a 429 whose message
 *   names the request's model (OpenAI limits are per model: "Rate limit
 *   reached for gpt-4o in organization ...") or its family (an "Opus weekly
 *   limit") → `rateLimited` (`quota` for `usage_limit_reached`).
 *
 * @module
 */

import type { FailoverPolicy } from "../config/types.ts";
import type { CooldownReason } from "../accounts/model.ts";
import { errorObject } from "../protocols/error_body.ts";
import { announcedReset, quotaWindows } from "../providers/reset_time.ts";

/** A model-scoped rest: why, and until when (epoch ms). */
export interface ModelLimit {
  reason: CooldownReason;
  until: number;
}

/** Model families whose name in a message (or a window claim) stands for the family's models. */
const FAMILIES = ["opus", "sonnet", "haiku"].map((name) => ({
  name,
  named: new RegExp(`(\\b|_)${name}\\b`),
}));

const MISSING = /not supported|does not exist|not found|do(es)? not have access|no access/i;
const CAPACITY = /at capacity|overloaded/i;
const GENERIC_MODEL = /\b(the|this|that|selected|requested) model\b/i;
/** Anthropic unified windows: account-wide (`5h`, `7d`) and per model family (`7d_opus`). */
const ACCOUNT_WINDOW = /^anthropic-\d+[hd]$/;
const MODEL_WINDOW = /^anthropic-\d+[hd]_([a-z]+)$/;
const CLAIM_HEADER = "anthropic-ratelimit-unified-representative-claim";

/** The model-scoped limit an error answer announces, if it is one. */
export function modelLimit(
  status: number,
  headers: Headers,
  body: unknown,
  model: string,
  policy: FailoverPolicy,
  now: number,
): ModelLimit | undefined {
  const error = errorObject(body);
  const code = text(error?.code) ?? text(error?.type) ?? "";
  const type = text(error?.type) ?? "";
  const message = text(error?.message) ?? text(field(body, "detail")) ?? "";
  const seconds = policy.cooldownSeconds;

  const missing = code === "model_not_found" ||
    (type === "not_found_error" && /^model:/i.test(message.trim())) ||
    ((status === 400 || status === 404) && namesModel(message, model) && MISSING.test(message));
  if (missing) return { reason: "modelUnavailable", until: now + seconds.forbidden * 1000 };

  const overloadAnswer = status === 429 || status >= 500 || type === "overloaded_error";
  if (
    overloadAnswer && CAPACITY.test(message) &&
    (namesModel(message, model) || GENERIC_MODEL.test(message))
  ) {
    return { reason: "overloaded", until: now + seconds.overloaded * 1000 };
  }

  if (status !== 429) return undefined;
  const window = exhaustedWindow(headers, model, now);
  if (window?.scope === "account") return undefined;
  const reset = () =>
    announcedReset(headers, body, now, { includeRateLimitDurations: true }) ??
      now + seconds.rateLimited * 1000;
  if (window) return { reason: "quota", until: window.resetAt ?? reset() };
  if (namesModel(message, model) || namesFamily(message, model)) {
    return { reason: code === "usage_limit_reached" ? "quota" : "rateLimited", until: reset() };
  }
  return undefined;
}

/** Which Anthropic unified window ran out: an account-wide one, or one of the model's family. */
interface ExhaustedWindow {
  scope: "account" | "model";
  /** The latest reset of the model's exhausted windows, when they give one. */
  resetAt?: number;
}

/** What the unified rate-limit headers say ran out; `undefined` when they say nothing. */
function exhaustedWindow(
  headers: Headers,
  model: string,
  now: number,
): ExhaustedWindow | undefined {
  const claim = headers.get(CLAIM_HEADER)?.trim().toLowerCase();
  if (claim === "five_hour" || claim === "seven_day") return { scope: "account" };
  let found: ExhaustedWindow | undefined = claim !== undefined && familyIn(claim, model)
    ? { scope: "model" }
    : undefined;
  for (const window of quotaWindows(headers, now)) {
    if (!window.exhausted) continue;
    if (ACCOUNT_WINDOW.test(window.name)) return { scope: "account" };
    const family = MODEL_WINDOW.exec(window.name)?.[1];
    if (family === undefined || !model.toLowerCase().includes(family)) continue;
    found ??= { scope: "model" };
    if ((window.resetAt ?? 0) > (found.resetAt ?? 0)) found.resetAt = window.resetAt;
  }
  return found;
}

/** Does `message` name `model` itself (not a longer name that starts with it)? */
export function namesModel(message: string, model: string): boolean {
  const haystack = message.toLowerCase();
  const needle = model.toLowerCase();
  if (needle === "") return false;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    const before = haystack[at - 1] ?? " ";
    const after = haystack[at + needle.length] ?? " ";
    if (!NAME_CHAR.test(before) && !NAME_CHAR.test(after)) return true;
  }
  return false;
}

const NAME_CHAR = /[a-z0-9._-]/;

/** Does `message` name the model family (`opus`, ...) that `model` belongs to? */
function namesFamily(message: string, model: string): boolean {
  return familyIn(message.toLowerCase(), model);
}

/** Does `text` (a message, or a claim such as `seven_day_opus`) name the family of `model`? */
function familyIn(text: string, model: string): boolean {
  const lower = model.toLowerCase();
  return FAMILIES.some((family) => lower.includes(family.name) && family.named.test(text));
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === "object"
    ? (body as Record<string, unknown>)[name]
    : undefined;
}
