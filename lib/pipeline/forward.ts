/**
 * Stage 5, forward with failover: hands the request to the failover loop
 * (`lib/failover/loop.ts`) through its ports, then binds the request's
 * session to the account that served it. {@linkcode failoverPorts} plugs the
 * gateway's stores into the loop's ports.
 *
 * @module
 */

import type { AccountStateStore } from "../accounts/health.ts";
import type { QuotaBook } from "../accounts/quota.ts";
import type { SessionBindings } from "../accounts/sessions.ts";
import type { ErrorRule, FailoverPolicy } from "../config/types.ts";
import { forwardWithFailover } from "../failover/loop.ts";
import type { FailoverPorts } from "../failover/ports.ts";
import type { FailoverJob, FailoverResult } from "../failover/result.ts";
import type { ProxyClients } from "../http/proxy_clients.ts";
import type { SlotLeases } from "../leases/slots.ts";
import { logFailure } from "../log.ts";
import type { UsageClock } from "../planning/usage_clock.ts";
import type { Credentials } from "../providers/credentials.ts";
import type { Session } from "./plan.ts";

/** What forwarding uses. */
export interface ForwardDeps {
  ports: FailoverPorts;
  sessions: SessionBindings;
}

/** Forwards `job`; a success binds `session` to the account that served. */
export async function forward(
  deps: ForwardDeps,
  job: FailoverJob,
  session: Session | undefined,
): Promise<FailoverResult> {
  const result = await forwardWithFailover(deps.ports, job);
  const served = result.served;
  if (session && served && result.response.status < 400) {
    await deps.sessions.served(session.scope, session.key, served.id, session.binding)
      .catch(logFailure("session binding failed"));
  }
  return result;
}

/** The gateway's stores, as the failover loop's ports. */
export function failoverPorts(stores: {
  policy: FailoverPolicy;
  credentials: Credentials;
  slots: SlotLeases;
  states: AccountStateStore;
  quotas: QuotaBook;
  clock: UsageClock;
  errorRules(): readonly ErrorRule[];
  proxies?: ProxyClients;
  tracing?: boolean;
}): FailoverPorts {
  const { slots, states, quotas, clock, credentials } = stores;
  return {
    policy: stores.policy,
    credentials,
    slots: {
      acquire: (account) =>
        account.concurrency === undefined
          ? Promise.resolve(undefined)
          : slots.tryAcquire("account", account.id, account.concurrency),
    },
    health: {
      apply: (accountId, effect) => states.apply(accountId, effect),
      settleProbe: (accountId, claim, effect) => states.settleProbe(accountId, claim, effect),
    },
    quota: { observe: (account, headers) => quotas.record(account.id, headers) },
    errorRules: stores.errorRules,
    used: (accountId) => clock.touch(accountId),
    egress: (account) => stores.proxies?.for(account.proxy),
    tracing: stores.tracing,
  };
}
