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
 *   lets clients handle it as they handle an expired response;
 * - any other stored object a body names (a conversation, an item, a file,
 *   a vector store, a container) gets 400 naming the field, unless the
 *   group's `allowPaths` opens that object's API (`/v1/files/*`, ...).
 * Fields are read from the parsed body (`lib/protocols/body_fields.ts`),
 * so JSON escapes in their names change nothing.
 *
 * A known response also pins the request to the account that stores it: no
 * other account could find it.
 *
 * @module
 */

import { isSafeId } from "../config/path_patterns.ts";
import type { Account } from "../config/types.ts";
import { HttpError } from "../http/errors.ts";
import type { BodyFields } from "../protocols/body_fields.ts";
import {
  STORED_API,
  type StoredKind,
  type StoredReference,
  storedReferences,
} from "../protocols/stored_refs.ts";
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

/**
 * Checks the stored objects a body names: its `previous_response_id` (for
 * the Responses endpoints that take one) must be the key's own, and any
 * other stored-object id (`lib/protocols/stored_refs.ts`) needs the group's
 * `allowPaths` to open that object's API. Both are read from the parsed body.
 */
export async function admitReference(
  owners: ResponseOwners,
  who: Requester,
  body: BodyFields,
): Promise<Access> {
  if (body.json === undefined) return { ok: true };
  const stored = storedReferenceRefused(who, storedReferences(body.json, body.text));
  if (stored) return { ok: false, error: stored };
  const id = previousResponseId(who.method, who.pathname, body.json);
  if (id === undefined) return { ok: true };
  const invalid = new HttpError(400, "previous_response_id is not a response id", {
    param: "previous_response_id",
  });
  if (typeof id !== "string") return { ok: false, error: invalid };
  const access = referenceAccess(id, who.allowPaths);
  if (access.kind === "denied") return { ok: false, error: invalid };
  const notFound = () =>
    new HttpError(
      400,
      `previous_response_id "${id}" not found: a key continues only from responses it created ` +
        "through this gateway",
    );
  return await admitStored(owners, access, who, notFound);
}

/** 400 for the first stored-object id the group's `allowPaths` does not open. */
function storedReferenceRefused(
  who: Requester,
  references: readonly StoredReference[],
): HttpError | undefined {
  for (const { field, kind, id } of references) {
    const api = STORED_API[kind];
    const opened = id !== undefined && isSafeId(id) &&
      pathAccess("GET", `${api}/${id}`, who.allowPaths).kind === "widened";
    if (opened) continue;
    const message = `${field} names ${STORED_NOUN[kind]} stored by the account the gateway ` +
      `forwards to, which client keys may not reach (an operator can open ${api}/* with ` +
      `allowPaths on group "${who.group}")`;
    return new HttpError(400, message, { param: field });
  }
  return undefined;
}

const STORED_NOUN: Readonly<Record<StoredKind, string>> = {
  conversation: "a conversation",
  item: "an item",
  file: "a file",
  vector_store: "a vector store",
  container: "a container",
};

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
