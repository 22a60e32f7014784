/**
 * Stage 2, authenticate and admit: the client key, the paths it may reach
 * (inference endpoints, its group's `allowPaths`, its own stored responses),
 * its per-key limits, the body (bounded), a `previous_response_id` it names,
 * and the accounts of its group that serve the API. A refusal costs no
 * upstream call; the body of a request refused before it is read is
 * cancelled. A large body (or one of unknown length) of a key with a
 * `concurrency` limit is read only once the key holds a slot; a body that
 * stalls is a 408.
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
import type { KeyLimits } from "../usage/limits.ts";
import { accountsFor, admitPath, admitReference, type Requester } from "./access.ts";
import { type LeaseDeps, leaseKeyFirst } from "./lease.ts";
import { type Refusal, refusal } from "./refusal.ts";
import type { Arrival } from "./route.ts";

/** What admission checks against. */
export interface AdmitDeps {
  directory: Directory;
  limits: KeyLimits;
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
  /** The key's slot, taken before its large body was read: the lease stage's, or to give back. */
  keySlot?: Slot;
  /** The group's accounts that may serve it (only the one storing its response, when known). */
  candidates: readonly Account[];
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
  const limited = key.rpm !== undefined || key.dailyTokens !== undefined
    ? await deps.limits.admit(key)
    : null;
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
  const reference = await admitReference(deps.owners, who, body);
  if (!reference.ok) return refuse(reference.error, "refused");
  // A translatable request may reach the other platform's accounts too; planning decides.
  const translatable = clientApiOf(request.method, route.upstreamPath) !== undefined &&
    deps.directory.group(key.group)?.translate !== false;
  const candidates = accountsFor(
    [
      ...deps.directory.candidates(key.group, route.family),
      ...(translatable ? deps.directory.candidates(key.group, otherFamily(route.family)) : []),
    ],
    path.owner ?? reference.owner,
  );
  if (candidates.length === 0) {
    // A configuration gap, not an outage: a status no client retries, naming what is missing.
    const message = `group "${key.group}" has no account for the ${route.api} ` +
      `(${request.method} ${url.pathname}); an operator can add one to the group`;
    return refuse(new HttpError(400, message), "unserved");
  }
  return { ok: true, key, body, candidates, ...(keySlot ? { keySlot } : {}) };
}
