/**
 * Stage 3, plan: looks up the request's session binding, asks the one
 * planner (`lib/planning/planner.ts`) for the accounts in the order to try
 * them, and claims a due half-open probe (one request across all processes
 * gets it). With no account to try, the client gets 404 `model_not_found`
 * (every account lacks the model), 429 with `Retry-After` (every account is
 * cooling) or 503 (every one is disabled). A request no account of the
 * group serves by kind or protocol never gets here: it is refused with 400
 * before planning (`unserved.ts`), as waiting would not help.
 *
 * @module
 */

import type { KeyInfo } from "../accounts/directory.ts";
import type { AccountStateStore } from "../accounts/health.ts";
import type { HealthSnapshot } from "../accounts/health_snapshot.ts";
import type { QuotaBook } from "../accounts/quota.ts";
import { type Binding, type SessionBindings, sessionKeyOf } from "../accounts/sessions.ts";
import type { Account, Group, Platform } from "../config/types.ts";
import type { JsonObject } from "../protocols/json.ts";
import { HttpError } from "../http/errors.ts";
import { attemptOrder, type Plan, planAttempts } from "../planning/planner.ts";
import type { ServingMode } from "../planning/serving.ts";
import type { UsageClock } from "../planning/usage_clock.ts";
import { type Refusal, refusal } from "./refusal.ts";

/** What planning reads. */
export interface PlanDeps {
  states: AccountStateStore;
  sessions: SessionBindings;
  quotas: QuotaBook;
  clock: UsageClock;
  /** A group's quota settings (`avoidAbovePercent`, `order`), as the directory has them now. */
  groupSettings(groupId: string): Pick<Group, "avoidAbovePercent" | "order"> | undefined;
}

/** A request's session: its scope (group and platform), its key, and its binding, if any. */
export interface Session {
  scope: string;
  key: string;
  binding?: Binding;
}

/** What the plan is made for. */
export interface PlanRequest {
  key: KeyInfo;
  platform: Platform;
  candidates: readonly Account[];
  health: HealthSnapshot;
  headers: Headers;
  /** The parsed body (`lib/protocols/body_fields.ts`), for its session key. */
  body: JsonObject | undefined;
  model: () => string | undefined;
  /** How an account serves the request (native, translated), `null` when it cannot. */
  mode?(account: Account): ServingMode | null;
}

/** The accounts to try, in order, with the claimed probe and the session. */
export interface Planned {
  ok: true;
  accounts: Account[];
  probe?: { accountId: string; claim: string };
  session?: Session;
}

/** Plans a request, or says why no account can take it. */
export async function plan(deps: PlanDeps, request: PlanRequest): Promise<Planned | Refusal> {
  const { key, health, model } = request;
  const now = Date.now();
  const session = await lookupSession(deps.sessions, request);
  const settings = deps.groupSettings(key.group);
  // Other processes' snapshots too (throttled): spent windows and thresholds are seen pool-wide.
  deps.quotas.pullSoon();
  const planned = planAttempts({
    candidates: request.candidates,
    health,
    now,
    lastUsed: (id) => deps.clock.lastUsed(id),
    model,
    quota: (id) => deps.quotas.standing(id, now),
    avoidAbovePercent: settings?.avoidAbovePercent,
    order: settings?.order,
    boundAccount: session?.binding?.account,
    mode: request.mode,
  });
  const probe = await claimProbe(deps.states, planned);
  if (probe || planned.kind === "ready") {
    const ready = planned.kind === "ready" ? planned.accounts : [];
    return {
      ok: true,
      // A claimed probe rides along; the failover loop tries it first.
      accounts: attemptOrder(ready, { probe: probe?.account }),
      ...(probe ? { probe: { accountId: probe.account.id, claim: probe.claim } } : {}),
      session,
    };
  }
  if (planned.kind === "cooling" && planned.modelUnavailable) {
    const message = `model "${model()}" is not available on any account in this key's group`;
    return refusal(new HttpError(404, message, { code: "model_not_found" }), "model_unavailable");
  }
  if (planned.kind === "cooling") {
    const seconds = Math.max(1, Math.ceil((planned.retryAt - now) / 1000));
    const headers = { "retry-after": String(seconds) };
    const message = `every account is cooling down; retry in ${seconds}s`;
    return refusal(new HttpError(429, message, { headers }), "cooling");
  }
  return refusal(new HttpError(503, planned.reason), "unavailable");
}

/** The request's session and its current binding, when it carries a session key. */
async function lookupSession(
  sessions: SessionBindings,
  request: PlanRequest,
): Promise<Session | undefined> {
  const key = sessionKeyOf(request.headers, request.body);
  if (!key) return undefined;
  const scope = `${request.key.group}/${request.platform}`;
  const binding = await sessions.lookup(scope, key).catch(() => undefined);
  return { scope, key, binding };
}

/** Claims the planned probe, if one is due (one request across all processes gets it). */
async function claimProbe(
  states: AccountStateStore,
  planned: Plan,
): Promise<{ account: Account; claim: string } | undefined> {
  if (!planned.probe) return undefined;
  const claim = await states.claimProbe(planned.probe.id).catch(() => undefined);
  return claim ? { account: planned.probe, claim } : undefined;
}
