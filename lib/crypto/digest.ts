/**
 * Secret comparison without timing leaks: both sides are hashed with SHA-256
 * first, so lookups and comparisons only ever touch digests. The one
 * exception, {@linkcode DigestLookup}, keys a Map by secrets that are already
 * known to be valid (a Map lookup compares strings only when their hashes
 * match, so a guess learns nothing from it); it holds those secrets in memory.
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

/** Base64 SHA-256 of a string (a CSP script hash). */
export function sha256Base64(text: string): string {
  return hash("sha256", text, "base64");
}

/** Compares two equal-length strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * Finds a record by the digest of a presented secret, remembering the digests
 * of up to `limit` secrets that found one, so a key in use is not hashed on
 * every request (1% of the gateway's CPU under load). `find` runs on every
 * lookup, so a record removed since is missed at once; unknown secrets are
 * not remembered, so they cannot push the known ones out.
 */
export class DigestLookup {
  readonly #digests = new Map<string, string>();

  constructor(readonly limit: number) {}

  /** Secrets remembered now. */
  get size(): number {
    return this.#digests.size;
  }

  lookup<T>(secret: string, find: (digest: string) => T | undefined): T | undefined {
    const remembered = this.#digests.get(secret);
    const digest = remembered ?? sha256Hex(secret);
    const found = find(digest);
    if (found !== undefined && remembered === undefined) {
      if (this.#digests.size >= this.limit) {
        // The oldest entry (Map keeps insertion order).
        this.#digests.delete(this.#digests.keys().next().value!);
      }
      this.#digests.set(secret, digest);
    }
    return found;
  }
}

/** `sha256=<hex HMAC-SHA256 of body keyed with secret>` (Web Crypto), as webhook signatures are sent. */
export async function hmacSha256Signature(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return `sha256=${Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
