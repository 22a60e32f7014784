/**
 * The request pipeline: one `/v1/*` request, top to bottom. Each stage is a
 * module of its own that gets what it needs as arguments and returns a value:
 *
 * 1. route (`route.ts`): which API, surface and platform;
 * 2. authenticate and admit (`admit.ts`): key, path allow-list, limits, body;
 * 3. plan (`plan.ts`): the accounts in the order to try them, a probe claimed;
 * 4. lease (`lease.ts`): concurrency slots, the queue;
 * 5. forward with failover (`forward.ts`): the failover loop, then the session binding;
 * 6. relay (`relay.ts`): observe usage, release the key's slot, log; what the
 *    answer creates is remembered for its account (`recorders.ts`).
 *
 * A stage that refuses ends the request with an answer in the surface's
 * shape, relayed (counted and logged) like any other.
 *
 * @module
 */

import type { AccountStateStore } from "../accounts/health.ts";
import type { ResponseOwners } from "../accounts/response_owners.ts";
import type { ThinkingSigners } from "../accounts/thinking_signers.ts";
import type { Account } from "../config/types.ts";
import type { FailoverJob, FailoverResult } from "../failover/result.ts";
import { errorResponse, httpErrorResponse } from "../http/errors.ts";
import type { Held } from "../leases/queue.ts";
import type { Slot } from "../leases/slots.ts";
import { waitingStream } from "../leases/waiting_stream.ts";
import { planUsageInjection } from "../protocols/chat/usage_injection.ts";
import { admit, type AdmitDeps } from "./admit.ts";
import { forward, type ForwardDeps } from "./forward.ts";
import { lease, type LeaseDeps } from "./lease.ts";
import { plan, type PlanDeps } from "./plan.ts";
import type { Refusal } from "./refusal.ts";
import { type Delivery, type Relay, translatedNow } from "./relay.ts";
import { type Arrival, routeRequest } from "./route.ts";
import { RequestShape } from "./translation.ts";
import {
  askedModel,
  configuredModels,
  listingForClient,
  routeModel,
  unservedModel,
} from "./models.ts";
import { unservedKind } from "./unserved.ts";
import { conversationRecorders } from "./recorders.ts";
import { estimateInstead, localTokenCount } from "./token_count.ts";

/** What the stages work with. */
export interface Pipeline {
  /** Shared account health, read once per request (it also reloads the directory). */
  states: AccountStateStore;
  admit: AdmitDeps;
  plan: PlanDeps;
  lease: LeaseDeps;
  forward: ForwardDeps;
  relay: Relay;
  owners: ResponseOwners;
  signers: ThinkingSigners;
}

/** Handles one `/v1/*` request. */
export async function handleApi(pipeline: Pipeline, request: Request, url: URL): Promise<Response> {
  // A key's slot taken before its large body was read is ours until the lease stage takes it.
  const early: EarlySlot = {};
  try {
    return await runStages(pipeline, request, url, early);
  } finally {
    if (early.keySlot) pipeline.lease.slots.track(early.keySlot.release());
  }
}

/** The key's slot taken at admission, until the lease stage takes it over. */
interface EarlySlot {
  keySlot?: Slot;
}

async function runStages(
  pipeline: Pipeline,
  request: Request,
  url: URL,
  early: EarlySlot,
): Promise<Response> {
  // 1. Route.
  const arrival = routeRequest(request, url, performance.now());
  if (!arrival) return errorResponse("openai", 404, `unknown path ${url.pathname}`);
  // The shared-state read (coalesced; skipped while the KV file is unchanged). It also
  // reloads keys/accounts/groups when they changed, so it comes before the key lookup:
  // a key revoked by any process is refused on the next request.
  const health = await pipeline.states.current();

  // 2. Authenticate and admit.
  const admitted = await admit(pipeline.admit, arrival);
  if (!admitted.ok) return refuse(pipeline, arrival, admitted.key, admitted);
  const { key, body, fields } = admitted;
  early.keySlot = admitted.keySlot;
  const injection = arrival.surface === "openai"
    ? planUsageInjection(arrival.route.upstreamPath, body, fields)
    : null;
  const group = pipeline.admit.directory.group(key.group);
  const listed = configuredModels(request, key, group, () => groupAccounts(pipeline, key.group));
  if (listed) {
    return pipeline.relay.deliver({
      ...arrived(arrival, key.id),
      response: listed,
      outcome: "models",
    });
  }
  // Model routing reads the body's model only where some model setting applies.
  const routing = group?.models !== undefined || group?.allowModels !== undefined ||
    key.allowModels !== undefined || admitted.candidates.some((a) => a.models !== undefined);
  const form = admitted.form
    ? { body, contentType: request.headers.get("content-type") }
    : undefined;
  const requested = routing ? await askedModel(fields, form) : { ok: true as const };
  if (!requested.ok) return refuse(pipeline, arrival, key.id, requested);
  const asked = requested.model;
  const model = () => fields.model;
  const routed = routeModel(key, group, asked);
  if (!routed.ok) return refuse(pipeline, arrival, key.id, routed);
  // A count_tokens the gateway estimates: always, or when no account can count right now.
  const countHere = (extra: Partial<Delivery> = {}) => {
    const counted = localTokenCount(fields.json);
    if (!(counted instanceof Response)) return refuse(pipeline, arrival, key.id, counted);
    const delivery = { ...arrived(arrival, key.id), ...extra };
    return pipeline.relay.deliver({ ...delivery, response: counted, outcome: "counted" });
  };
  const fallsBackToCount = (status: number) =>
    admitted.counting === "fallback" && estimateInstead(status);
  if (admitted.counting === "local") return countHere();
  const shape = new RequestShape({
    method: request.method,
    headers: request.headers,
    platform: arrival.route.family,
    upstreamPath: arrival.route.upstreamPath,
    body,
    json: fields.json,
    text: fields.text,
    translate: group?.translate !== false,
    injection,
    model: routed.model,
  });
  const unserved = unservedKind(shape, admitted.candidates, key.group) ??
    unservedModel(shape, admitted.candidates, asked);
  if (unserved) return refuse(pipeline, arrival, key.id, unserved);

  // 3. Plan.
  const planned = await plan(pipeline.plan, {
    key,
    platform: arrival.route.family,
    candidates: admitted.candidates,
    health,
    headers: request.headers,
    body: fields.json,
    model,
    mode: (account) => shape.mode(account),
  });
  if (!planned.ok) {
    if (fallsBackToCount(planned.error.status)) return countHere();
    return refuse(pipeline, arrival, key.id, planned);
  }
  shape.boundAccount = planned.session?.binding?.account;
  shape.plannedFirst = planned.accounts.find((account) => account.id !== planned.probe?.accountId)
    ?.id;
  // Each attempt keeps only the signed thinking its own account made: whose is whose, looked up once.
  const marks = shape.thinkingMarks();
  if (marks.length > 0) {
    shape.signers = await pipeline.signers.signersOf(marks).catch(() => new Map());
  }

  // 4. Lease.
  const keySlot = early.keySlot;
  early.keySlot = undefined;
  const leased = await lease(pipeline.lease, {
    accounts: planned.accounts,
    key,
    client: request,
    stream: fields.stream,
    keySlot,
  });
  if (leased.kind === "refused") return refuse(pipeline, arrival, key.id, leased);

  // 5. Forward with failover. What the answer creates is remembered for the account that served it.
  let forwarded: FailoverResult | undefined;
  const recorders = conversationRecorders(pipeline, arrival, key.id, () => forwarded);
  const job = (held: Held | undefined): FailoverJob => ({
    request,
    upstreamPath: arrival.route.upstreamPath,
    search: url.search,
    surface: arrival.surface,
    body,
    prepare: (account) => shape.prepare(account),
    model,
    accounts: planned.accounts,
    probe: planned.probe,
    leased: held,
  });
  const send = async (held?: Held) => {
    forwarded = await forward(pipeline.forward, job(held), planned.session);
    return forwarded;
  };
  const delivery = {
    ...arrived(arrival, key.id),
    injectedUsage: injection !== null,
    ...(asked !== undefined ? { requestedModel: asked } : {}),
  };
  if (leased.kind === "waiting") {
    // A streaming request still waiting for a slot: answer now, forward once one frees.
    const waiting = waitingStream(
      leased.wait,
      arrival.surface,
      async (held) => translatedNow(await send(held)),
    );
    pipeline.lease.slots.track(waiting.done);
    return pipeline.relay.deliver({
      ...delivery,
      ...recorders,
      response: waiting.response,
      later: waiting.result,
    });
  }
  const result = await listingForClient(
    { method: request.method, upstreamPath: arrival.route.upstreamPath, client: arrival.surface },
    await send(leased.held),
  );
  if (fallsBackToCount(result.response.status)) {
    await result.response.body?.cancel().catch(() => {});
    return countHere({ result, release: leased.release });
  }

  // 6. Relay.
  const response = pipeline.relay.deliver({
    ...delivery,
    response: result.response,
    result,
    release: leased.release,
    ...recorders,
  });
  // What the answer created is found by the client's next request on any process sharing the
  // KV: a JSON answer read whole goes out once its records are written (a stream closes then).
  await recorders.recording?.();
  return response;
}

/** Every account of a group, both platforms. */
function groupAccounts(pipeline: Pipeline, groupId: string): Account[] {
  const { directory } = pipeline.admit;
  return [
    ...directory.candidates(groupId, "openai"),
    ...directory.candidates(groupId, "anthropic"),
  ];
}

/** Relays a stage's refusal in the surface's shape. */
function refuse(
  pipeline: Pipeline,
  arrival: Arrival,
  key: string | null,
  refusal: Refusal,
): Response {
  return pipeline.relay.deliver({
    ...arrived(arrival, key),
    response: httpErrorResponse(arrival.surface, refusal.error),
    outcome: refusal.outcome,
  });
}

function arrived(arrival: Arrival, key: string | null): Omit<Delivery, "response"> {
  const { request, url, started, surface } = arrival;
  return { request, path: url.pathname, started, surface, key };
}
