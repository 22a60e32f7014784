/**
 * Unwrapping request translations in tests: the body and the dropped field
 * names of a translation, or the field a refusal names.
 *
 * @module
 */

import type { RequestTranslation } from "../translate/translate.ts";

/** The translated body and the names of the dropped fields; throws on a refusal. */
export function ok(
  result: RequestTranslation,
): { body: Record<string, unknown>; dropped: string[] } {
  if (!result.ok) throw new Error(`refused: ${result.error.field}: ${result.error.message}`);
  return {
    body: result.body as Record<string, unknown>,
    dropped: result.dropped.map((entry) => entry.field),
  };
}

/** The field a refusal names; throws when the request was translated. */
export function refused(result: RequestTranslation): string {
  if (result.ok) throw new Error("expected a refusal");
  return result.error.field;
}
