/**
 * Stage 2, authenticate and admit: the client key, the paths it may reach
 * (inference endpoints, its group's `allowPaths`, its own stored responses),
 * its per-key limits, the body (bounded, parsed once; one that cannot be
 * read gets 400), the stored objects it names (a `previous_response_id`,
 * files, conversations, ...), and the accounts of its group that serve the
 * API (none for a `count_tokens` the gateway estimates itself,
 * `token_count.ts`). A refusal costs no upstream call; the body of a
 * request refused before it is read is cancelled. A large body (or one of
 * unknown length) of a key with a `concurrency` limit is read only once the
 * key holds a slot; a body that stalls is a 408.
 *
 * @module
 */

import type { Directory, KeyInfo } from "../accounts/directory.ts";
import type { ResponseOwners } from "../accounts/response_owners.ts";
import type { Account } from "../config/types.ts";
import { BodyTimeoutError, BodyTooLargeError, isLargeBody, readRequestBody } from "../http/body.ts";
import type { Slot } from "../leases/slots.ts";
import { HttpError } from "../http/errors.ts";
import { presentedKey } from "../http/headers.ts";
import { clientApiOf, otherFamily } from "../protocols/api_route.ts";
import { type BodyFields, readBodyFields } from "../protocols/body_fields.ts";
import { bodyKind } from "../protocols/inference_paths.ts";
import { isModelListing } from "../protocols/model_list.ts";
import { type BudgetGate, budgetTargets } from "../usage/budget_gate.ts";
import type { KeyLimits } from "../usage/limits.ts";
import { accountsFor, admitPath, admitReference, type Requester } from "./access.ts";
import { type LeaseDeps, leaseKeyFirst } from "./lease.ts";
import { type Refusal, refusal } from "./refusal.ts";
import { type TokenCounting, tokenCounting } from "./token_count.ts";
import type { Arrival } from "./route.ts";

/** What admission checks against. */
export interface AdmitDeps {
  directory: Directory;
  limits: KeyLimits;
  /** Refuses keys and groups whose budget is spent (`lib/usage/budget_gate.ts`). */
  budgets?: BudgetGate;
  owners: ResponseOwners;
  maxRequestBytes: number;
  /** How long a request body may stall (default `DEFAULT_BODY_IDLE_MS`). */
  bodyIdleMs?: number;
  /** Slots, for keys whose large bodies wait for one before they are read. */
  keySlots?: LeaseDeps;
}

/** An admitted request. */
export interface Admitted {
  ok: true;
  key: KeyInfo;
  body: Uint8Array<ArrayBuffer> | null;
  /** The body's fields, parsed once (`lib/protocols/body_fields.ts`). */
  fields: BodyFields;
  /** The body is a form (its `model` is read from the form when needed). */
  form: boolean;
  /** The key's slot, taken before its large body was read: the lease stage's, or to give back. */
  keySlot?: Slot;
  /** The group's accounts that may serve it (only the one storing its response, when known). */
  candidates: readonly Account[];
  /** A `count_tokens` the gateway estimates, always or when no account can count (`token_count.ts`). */
  counting?: TokenCounting;
}

/** Admits a request, or says why not; `key` is set once the key is known. */
export async function admit(
  deps: AdmitDeps,
  arrival: Arrival,
): Promise<Admitted | (Refusal & { key: string | null })> {
  const { request, url, route } = arrival;
  const key = deps.directory.findKey(presentedKey(request.headers));
  if (!key) {
    await request.body?.cancel().catch(() => {});
    return {
      ...refusal(new HttpError(401, "missing or invalid API key"), "unauthorized"),
      key: null,
    };
  }
  let keySlot: Slot | undefined;
  const refuse = (error: HttpError, outcome: string) => {
    if (keySlot) deps.keySlots?.slots.track(keySlot.release()); // refused: the slot goes back
    return { ...refusal(error, outcome), key: key.id };
  };
  const who: Requester = {
    key: key.id,
    group: key.group,
    allowPaths: deps.directory.group(key.group)?.allowPaths,
    method: request.method,
    pathname: url.pathname,
  };
  const path = await admitPath(deps.owners, who);
  if (!path.ok) {
    await request.body?.cancel().catch(() => {});
    return refuse(path.error, "refused");
  }
  const budgeted = budgetTargets(key, deps.directory.group(key.group));
  const limited = (budgeted.length > 0 ? await deps.budgets?.admit(budgeted) : null) ??
    (key.rpm !== undefined || key.dailyTokens !== undefined ? await deps.limits.admit(key) : null);
  if (limited) {
    await request.body?.cancel().catch(() => {});
    const headers = { "retry-after": String(limited.retryAfter) };
    return refuse(new HttpError(429, limited.message, { headers }), "limited");
  }
  if (key.concurrency !== undefined && deps.keySlots && isLargeBody(request)) {
    const held = await leaseKeyFirst(
      deps.keySlots,
      { ...key, concurrency: key.concurrency },
      request.signal,
    );
    if (!held.ok) {
      await request.body?.cancel().catch(() => {});
      return refuse(held.error, held.outcome ?? "limited");
    }
    keySlot = held.slot;
  }
  let body: Uint8Array<ArrayBuffer> | null;
  try {
    body = await readRequestBody(request, deps.maxRequestBytes, deps.bodyIdleMs);
  } catch (error) {
    const problem = error instanceof BodyTooLargeError || error instanceof BodyTimeoutError
      ? error
      : new HttpError(400, "could not read the request body");
    return refuse(problem, error instanceof BodyTimeoutError ? "timeout" : "rejected");
  }
  // The one parse of the body: every later stage reads its fields from here.
  const kind = bodyKind(request.method, url.pathname, request.headers.get("content-type"));
  const read = readBodyFields(body, kind);
  if (!read.ok) {
    const param = read.param === undefined ? {} : { param: read.param };
    return refuse(new HttpError(400, read.message, param), "rejected");
  }
  const fields = read.fields;
  const reference = await admitReference(deps.owners, who, fields);
  if (!reference.ok) return refuse(reference.error, "refused");
  // A translatable request may reach the other platform's accounts too; planning decides.
  // So may a model listing, when no account speaks the client's API (its answer is converted).
  const own = deps.directory.candidates(key.group, route.family);
  const other = deps.directory.candidates(key.group, otherFamily(route.family));
  const translate = deps.directory.group(key.group)?.translate !== false;
  const crosses = clientApiOf(request.method, route.upstreamPath) !== undefined ||
    (own.length === 0 && isModelListing(request.method, route.upstreamPath));
  const candidates = accountsFor(
    [...own, ...(crosses && translate ? other : [])],
    path.owner ?? reference.owner,
  );
  const counting = tokenCounting({ method: request.method, upstreamPath: route.upstreamPath }, {
    translate,
    anthropicAccounts: own.length,
    otherAccounts: other.length,
  });
  if (candidates.length === 0 && counting !== "local") {
    // A configuration gap, not an outage: a status no client retries, naming what is missing.
    const message = `group "${key.group}" has no account for the ${route.api} ` +
      `(${request.method} ${url.pathname}); an operator can add one to the group`;
    return refuse(new HttpError(400, message), "unserved");
  }
  const form = kind === "form";
  return {
    ok: true,
    key,
    body,
    fields,
    form,
    candidates,
    ...(counting ? { counting } : {}),
    ...(keySlot ? { keySlot } : {}),
  };
}
