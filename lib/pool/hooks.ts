/**
 * What the failover loop (`lib/failover/proxy.ts`) asks of the pool features
 * when they are on: credentials that may need a refresh, concurrency slots,
 * and a look at every upstream answer's headers. Every hook is optional, so
 * the loop works as before without them.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import type { AccountEffect } from "../accounts/model.ts";
import type { Slot } from "../leases/slots.ts";

/** Whether an account's credential went on the request. */
export type AuthorizeResult =
  /** `token` is set for OAuth accounts: the access token sent, for a refresh after a 401. */
  | { ok: true; token?: string }
  /** No usable credential; apply `effect` to the account and move on. */
  | { ok: false; effect: AccountEffect; detail: string };

/** Optional extensions of the failover loop. */
export interface ProxyHooks {
  /**
   * Puts an OAuth account's credential on `headers`; `undefined` for accounts
   * it does not handle (the loop then uses the static credential). With
   * `rejectedToken`, the upstream just answered 401 to that token: refresh first.
   */
  authorize?(
    account: Account,
    headers: Headers,
    rejectedToken?: string,
  ): Promise<AuthorizeResult | undefined>;
  /** A concurrency slot on the account: `undefined` when it has no limit, `null` when full. */
  slot?(account: Account): Promise<Slot | null | undefined> | undefined;
  /** Sees the headers of every upstream answer (quota snapshots). */
  observe?(account: Account, headers: Headers): void;
}
