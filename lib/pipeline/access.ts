/**
 * The gateway's checks on what a client key may reach, with no upstream
 * call for a refusal:
 * - the path (`lib/protocols/inference_paths.ts`): anything that is not an
 *   inference endpoint or in the group's `allowPaths` gets 403;
 * - a stored response named in the path, or in a body's
 *   `previous_response_id`, must have been created by this key (unless the
 *   group's `allowPaths` opens `/v1/responses/*`). Otherwise the key is told
 *   it does not exist — 404 for a path, 400 for `previous_response_id`, as
 *   OpenAI answers for an unknown id — which is the truth for that key, and
 *   lets clients handle it as they handle an expired response.
 *
 * A known response also pins the request to the account that stores it: no
 * other account could find it.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import { HttpError } from "../http/errors.ts";
import {
  type PathAccess,
  pathAccess,
  previousResponseId,
  referenceAccess,
} from "../protocols/inference_paths.ts";
import type { ResponseOwner, ResponseOwners } from "../accounts/response_owners.ts";

/** Passed, with the creator of the stored response it names (if known); or refused. */
export type Access =
  | { ok: true; owner?: ResponseOwner }
  | { ok: false; error: HttpError };

/** Who asks for what: the key, its group's `allowPaths`, the request line. */
export interface Requester {
  key: string;
  group: string;
  allowPaths?: readonly string[];
  method: string;
  pathname: string;
}

/** Checks the method and path, and a stored response the path names. */
export async function admitPath(owners: ResponseOwners, who: Requester): Promise<Access> {
  const { method, pathname } = who;
  const access = pathAccess(method, pathname, who.allowPaths);
  if (access.kind === "denied") {
    const error = new HttpError(
      403,
      `${method} ${pathname} is not open to client keys: this gateway forwards inference ` +
        `endpoints only (an operator can open more paths with allowPaths on group "${who.group}")`,
    );
    return { ok: false, error };
  }
  return await admitStored(owners, access, who, () =>
    new HttpError(
      404,
      `response "${responseIdOf(access)}" not found: a key reaches only the stored responses ` +
        "it created through this gateway",
    ));
}

/** Checks a body's `previous_response_id`, for the Responses endpoints that take one. */
export async function admitReference(
  owners: ResponseOwners,
  who: Requester,
  body: Uint8Array | null,
): Promise<Access> {
  const id = previousResponseId(who.method, who.pathname, body);
  if (id === undefined) return { ok: true };
  const notFound = () =>
    new HttpError(
      400,
      `previous_response_id "${id}" not found: a key continues only from responses it created ` +
        "through this gateway",
    );
  const access = referenceAccess(id, who.allowPaths);
  if (access.kind === "denied") {
    const message = "previous_response_id is not a response id";
    return { ok: false, error: new HttpError(400, message) };
  }
  return await admitStored(owners, access, who, notFound);
}

/** The accounts a request may use: only the one that stores its response, when known. */
export function accountsFor(
  candidates: readonly Account[],
  owner: ResponseOwner | undefined,
): readonly Account[] {
  const holder = owner && candidates.find((account) => account.id === owner.account);
  return holder ? [holder] : candidates;
}

async function admitStored(
  owners: ResponseOwners,
  access: PathAccess,
  who: Requester,
  notFound: () => HttpError,
): Promise<Access> {
  const responseId = responseIdOf(access);
  if (responseId === undefined) return { ok: true };
  const owner = await owners.ownerOf(responseId);
  if (access.kind === "widened") return { ok: true, owner };
  return owner?.key === who.key ? { ok: true, owner } : { ok: false, error: notFound() };
}

function responseIdOf(access: PathAccess): string | undefined {
  return access.kind === "owner" || access.kind === "widened" ? access.responseId : undefined;
}
