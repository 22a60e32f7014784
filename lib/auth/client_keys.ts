/**
 * Client key lookup. Keys are indexed by their SHA-256 digest, so the secret
 * itself is never used as a map key or compared byte by byte.
 *
 * @module
 */

import type { ClientKey } from "../config/types.ts";
import { sha256Hex } from "./secrets.ts";

/** The client keys the gateway accepts. */
export class KeyRing {
  readonly #byDigest = new Map<string, ClientKey>();

  /** Indexes keys by digest. */
  static of(keys: readonly ClientKey[]): KeyRing {
    const ring = new KeyRing();
    for (const key of keys) ring.#byDigest.set(sha256Hex(key.key), key);
    return ring;
  }

  /** The key record for a presented secret, or `null`. */
  find(secret: string | null): ClientKey | null {
    if (!secret) return null;
    return this.#byDigest.get(sha256Hex(secret)) ?? null;
  }
}
