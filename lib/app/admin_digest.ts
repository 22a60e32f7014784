/**
 * The admin token in force, as a SHA-256 digest: a fixed one from
 * `SWITCHYARD_ADMIN_TOKEN`, or the KV-stored one of a first run, read per
 * admin request so a `reset-token` reaches every process at once. A KV read
 * is bounded by the KV deadline; while the store is down the digest last read
 * stays in force.
 *
 * @module
 */

import { sha256Hex } from "../crypto/digest.ts";
import { type KvReachability, KvUnreachable } from "../kv/reachability.ts";
import type { AdminTokenStore } from "../routes/admin/admin_token.ts";

/** A reader of the admin digest in force (`undefined`: the admin API is off). */
export function adminDigestReader(
  fixedToken: string | undefined,
  tokens: AdminTokenStore | undefined,
  reach: KvReachability,
): () => Promise<string | undefined> {
  const fixed = fixedToken ? sha256Hex(fixedToken) : undefined;
  if (fixed !== undefined || !tokens) return () => Promise.resolve(fixed);
  let stored: string | undefined;
  return async () => {
    try {
      stored = await reach.call("read the admin token", () => tokens.digest());
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
    }
    return stored;
  };
}
