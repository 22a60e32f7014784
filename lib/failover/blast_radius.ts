/**
 * Blast radius: one request must not cool more than two accounts for errors
 * that are not quota or rate-limit signals, and two accounts giving the same
 * kind of such error for one request stop it. Such an error (an HTML 403 or
 * a 500 that every account would give for this request) says more about the
 * request than about the accounts, and trying a dozen accounts would cool a
 * dozen healthy accounts.
 *
 * Connection failures and 502/503/504 are left out: they tell of an upstream's
 * availability, not of the request, and accounts may live on different hosts.
 *
 * Pure: {@linkcode blastKind} classifies, {@linkcode BlastRadius} counts.
 *
 * @module
 */

import type { AccountEffect } from "../accounts/model.ts";

/** Most accounts one request may cool for non-quota errors. */
export const MAX_COOLED_PER_REQUEST = 2;

/**
 * The kind of a non-quota error that would cool or disable an account, or
 * `undefined` for answers that are quota, rate-limit or overload signals, or
 * that change nothing.
 */
export function blastKind(
  effect: AccountEffect,
  status: number,
  contentType: string | null,
  body: string,
): string | undefined {
  if (effect.kind === "none" || effect.kind === "healthy") return undefined;
  if (effect.kind === "cooldown") {
    if (effect.reason !== "forbidden" && effect.reason !== "serverError") return undefined;
    // 502, 503 and 504 speak of the upstream's availability (like 529), not of this request.
    if (effect.reason === "serverError" && status !== 500) return undefined;
    // A 403 that talks about a usage limit is a quota signal, even without a reset time.
    if (effect.reason === "forbidden" && /usage.?limit|quota|rate.?limit/i.test(body)) {
      return undefined;
    }
  }
  const html = /html/i.test(contentType ?? "") || /^\s*<(!doctype|html)/i.test(body);
  return `${status}${html ? "/html" : ""}`;
}

/** What to do with a non-quota error. */
export interface BlastDecision {
  /** Apply the error's effect to the account. */
  apply: boolean;
  /** Return this error to the client instead of trying another account. */
  stop: boolean;
}

/** Counts one request's non-quota errors. */
export class BlastRadius {
  #cooled = 0;
  readonly #kinds = new Set<string>();

  /** Judges an error of `kind` (from {@linkcode blastKind}). */
  judge(kind: string | undefined): BlastDecision {
    if (kind === undefined) return { apply: true, stop: false };
    if (this.#cooled >= MAX_COOLED_PER_REQUEST) return { apply: false, stop: true };
    this.#cooled++;
    if (this.#kinds.has(kind)) return { apply: true, stop: true };
    this.#kinds.add(kind);
    return { apply: true, stop: false };
  }
}
