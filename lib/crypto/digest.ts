/**
 * Secret comparison without timing leaks: both sides are hashed with SHA-256
 * first, so lookups and comparisons only ever touch digests.
 *
 * @module
 */

import { hash } from "node:crypto";

/**
 * Hex SHA-256 of a string. Synchronous `node:crypto` on purpose: it runs on
 * every request, and Web Crypto's async digest costs ~30x more per call. The
 * one-shot `hash` costs half of `createHash(...).update(...).digest(...)`
 * (no Hash object per call).
 */
export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}

/** Compares two equal-length strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
