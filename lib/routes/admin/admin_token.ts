/**
 * The admin token of a gateway started without `SWITCHYARD_ADMIN_TOKEN`: made
 * on the first start, printed once, and stored only as its SHA-256 digest in
 * KV under `["switchyard", "admin-token"]`. Every process on the KV checks
 * admin requests against that record, so `deno task admin reset-token` (which
 * opens the KV itself, and so needs access to the KV file) takes effect on
 * every running gateway at its next admin request.
 *
 * @module
 */

import { sha256Hex } from "../../crypto/digest.ts";
import { randomToken } from "../../crypto/random.ts";
import { ADMIN_TOKEN_KEY } from "../../kv/keys.ts";
import { withLockRetry } from "../../kv/retry.ts";

/** Admin tokens start with this, so one pasted in the wrong place is recognisable. */
export const ADMIN_TOKEN_PREFIX = "sya-";

interface StoredAdminToken {
  digest: string;
  createdAt: number;
}

/** The KV-stored admin token. */
export class AdminTokenStore {
  constructor(private readonly kv: Deno.Kv) {}

  /** The digest admin requests are checked against; `undefined` before {@linkcode ensure}. */
  async digest(): Promise<string | undefined> {
    const entry = await withLockRetry(() => this.kv.get<StoredAdminToken>(ADMIN_TOKEN_KEY));
    return entry.value?.digest;
  }

  /**
   * Makes a token when KV has none. Resolves to the new token (to print once),
   * or `undefined` when one exists. Of processes starting together, one wins.
   */
  async ensure(now = Date.now()): Promise<string | undefined> {
    const token = randomToken(ADMIN_TOKEN_PREFIX);
    const record: StoredAdminToken = { digest: sha256Hex(token), createdAt: now };
    const result = await withLockRetry(() =>
      this.kv.atomic().check({ key: ADMIN_TOKEN_KEY, versionstamp: null })
        .set(ADMIN_TOKEN_KEY, record).commit()
    );
    return result.ok ? token : undefined;
  }

  /** Replaces the token; the old one stops working at once. */
  async reset(now = Date.now()): Promise<string> {
    const token = randomToken(ADMIN_TOKEN_PREFIX);
    const record: StoredAdminToken = { digest: sha256Hex(token), createdAt: now };
    await withLockRetry(() => this.kv.set(ADMIN_TOKEN_KEY, record));
    return token;
  }
}
