/**
 * The failover loop's collaborators, as explicit ports: the loop asks for
 * credentials, concurrency slots, health writes, quota observation, the
 * error rules in force and the least-recently-used clock, and knows nothing
 * of how they are kept. The pipeline's forward stage (`lib/pipeline/forward.ts`)
 * plugs the gateway's stores in; tests may plug in their own.
 *
 * @module
 */

import type { HeaderEditor } from "../http/outgoing_headers.ts";
import type { AccountEffect } from "../accounts/model.ts";
import type { Account, ErrorRule, FailoverPolicy } from "../config/types.ts";
import type { EgressClients } from "../http/proxy_clients.ts";
import type { Slot } from "../leases/slots.ts";
import type { Authorization } from "../providers/credentials.ts";

/** Everything the loop needs besides the request. */
export interface FailoverPorts {
  policy: FailoverPolicy;
  credentials: {
    /**
     * Puts the account's credential (and its provider's headers) on `headers`.
     * With `rejectedToken`, the upstream just answered 401 to that OAuth
     * token: refresh first.
     */
    authorize(
      account: Account,
      headers: HeaderEditor,
      rejectedToken?: string,
    ): Promise<Authorization>;
  };
  slots: {
    /** A concurrency slot on the account: `undefined` when it has no limit, `null` when full. */
    acquire(account: Account): Promise<Slot | null | undefined>;
  };
  health: {
    /** Applies what an answer did to an account (awaited: the next request must see it). */
    apply(accountId: string, effect: AccountEffect): Promise<void>;
    /** Settles a claimed half-open probe with its answer's effect. */
    settleProbe(accountId: string, claim: string, effect: AccountEffect): Promise<void>;
  };
  quota: {
    /** Sees the headers of every upstream answer (quota snapshots). Synchronous and cheap. */
    observe(account: Account, headers: Headers): void;
  };
  /** The operator's error rules in force now (config or management API). */
  errorRules(): readonly ErrorRule[];
  /** Marks an account as just used, for least-recently-used ordering. */
  used(accountId: string): void;
  /** The clients through the account's egress proxy (`proxy`); direct when absent or `undefined`. */
  egress?(account: Account): EgressClients | undefined;
  /** Wrap each attempt in an OpenTelemetry span (`OTEL_DENO=true`). */
  tracing?: boolean;
}
