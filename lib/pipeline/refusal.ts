/**
 * A request the gateway answers itself, before or instead of an upstream:
 * the error, in the surface's shape once rendered, and the outcome metrics
 * and logs count it under (`unauthorized`, `refused`, `limited`, ...).
 *
 * @module
 */

import type { HttpError } from "../http/errors.ts";

/** Why a stage stops a request. */
export interface Refusal {
  ok: false;
  error: HttpError;
  /** Counted as; `undefined` lets the relay stage derive it (as for a queue that gave up). */
  outcome?: string;
}

/** A refusal with its outcome. */
export function refusal(error: HttpError, outcome?: string): Refusal {
  return { ok: false, error, outcome };
}
