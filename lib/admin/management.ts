/**
 * The management API, behind the admin token (checked by `lib/admin/routes.ts`
 * before these handlers run). Every change lands in KV, so it works on Deno
 * Deploy with no config file:
 * - `GET|POST /admin/keys`, `DELETE /admin/keys/:id`;
 * - `GET|POST /admin/accounts`, `GET|PUT|DELETE /admin/accounts/:id`;
 * - `GET|POST /admin/groups`, `GET|PUT|DELETE /admin/groups/:id`;
 * - `GET|PUT|DELETE /admin/error-rules` (the whole list at once);
 * - `GET /admin/usage?from=&to=&by=key|account|model`;
 * - `GET /admin/dashboard` (one snapshot) and `GET /admin/events` (SSE).
 *
 * Bad input gets a 400 whose `param` names the field.
 *
 * @module
 */

import { ConfigError } from "../config/errors.ts";
import {
  type Directory,
  DirectoryConflict,
  DirectoryNotFound,
  SecretUnavailable,
} from "../directory/directory.ts";
import type { ErrorRuleStore } from "../directory/error_rules.ts";
import type { LiveHub } from "../dashboard/live.ts";
import type { DashboardSnapshot } from "../dashboard/snapshot.ts";
import type { AccountStateStore } from "../state/account_state.ts";
import { type UsageDimension, type UsageRecorder, utcDay } from "../usage/recorder.ts";
import type { QuotaBook } from "../quota/snapshots.ts";
import { type AccountView, accountViews, decodeId, MALFORMED_ID } from "./routes.ts";

/** What the management routes work on. */
export interface ManagementContext {
  directory: Directory;
  errorRules: ErrorRuleStore;
  states: AccountStateStore;
  usage: UsageRecorder;
  live: LiveHub;
  snapshot(): Promise<DashboardSnapshot>;
  /** Quota snapshots of subscription accounts, shown with each account. */
  quotas?: QuotaBook;
}

/** `GET /admin/accounts` rows: health, public settings and source. */
export async function accountRows(
  context: Pick<ManagementContext, "directory" | "states" | "quotas">,
): Promise<(Record<string, unknown> & AccountView)[]> {
  const views = await accountViews({
    accounts: context.directory.accounts(),
    states: context.states,
    quotas: context.quotas,
  });
  return views.map((view) => ({ ...context.directory.publicAccount(view.id), ...view }));
}

/** Handles a management route, or returns `null` for paths it does not own. */
export async function handleManagement(
  request: Request,
  url: URL,
  context: ManagementContext,
): Promise<Response | null> {
  const [, , collection, rawId, extra] = url.pathname.split("/");
  const id = rawId === undefined ? undefined : decodeId(rawId);
  if (id === null) {
    const owned = extra === undefined && ["keys", "accounts", "groups"].includes(collection);
    return owned ? adminError(400, MALFORMED_ID, "id") : null;
  }
  const method = request.method;
  try {
    switch (collection) {
      case "keys":
        if (extra !== undefined) return null;
        return await keys(request, method, id, context);
      case "accounts":
        if (extra !== undefined) return null; // `/reset` belongs to the core routes
        return await accounts(request, method, id, context);
      case "groups":
        if (extra !== undefined) return null;
        return await groups(request, method, id, context);
      case "error-rules":
        if (id !== undefined) return null;
        return await errorRules(request, method, context);
      case "usage":
        if (id !== undefined) return null;
        return method === "GET" ? await usage(url, context) : methodNotAllowed("GET");
      case "dashboard":
        if (id !== undefined) return null;
        return method === "GET" ? Response.json(await context.snapshot()) : methodNotAllowed("GET");
      case "events":
        if (id !== undefined) return null;
        return method === "GET" ? context.live.stream() : methodNotAllowed("GET");
      default:
        return null;
    }
  } catch (error) {
    return problem(error);
  }
}

async function keys(
  request: Request,
  method: string,
  id: string | undefined,
  { directory, live }: ManagementContext,
): Promise<Response> {
  if (id === undefined) {
    if (method === "GET") return Response.json(directory.keys());
    if (method !== "POST") return methodNotAllowed("GET, POST");
    const { key, secret } = await directory.createKey(await jsonBody(request));
    live.poke();
    return Response.json({ ...key, key: secret }, { status: 201 });
  }
  if (method === "GET") {
    const key = directory.keys().find((item) => item.id === id);
    return key ? Response.json(key) : notFound(`unknown key "${id}"`);
  }
  if (method !== "DELETE") return methodNotAllowed("GET, DELETE");
  await directory.revokeKey(id);
  live.poke();
  return Response.json({ id, revoked: true });
}

async function accounts(
  request: Request,
  method: string,
  id: string | undefined,
  context: ManagementContext,
): Promise<Response> {
  const { directory, live } = context;
  if (id === undefined) {
    if (method === "GET") return Response.json(await accountRows(context));
    if (method !== "POST") return methodNotAllowed("GET, POST");
    const account = await directory.createAccount(await jsonBody(request));
    live.poke();
    return Response.json(await accountRow(context, account.id), { status: 201 });
  }
  if (method === "GET") {
    return directory.account(id)
      ? Response.json(await accountRow(context, id))
      : notFound(`unknown account "${id}"`);
  }
  if (method === "PUT") {
    await directory.putAccount(id, await jsonBody(request));
    live.poke();
    return Response.json(await accountRow(context, id));
  }
  if (method !== "DELETE") return methodNotAllowed("GET, PUT, DELETE");
  await directory.deleteAccount(id);
  live.poke();
  return Response.json({ id, deleted: true });
}

async function accountRow(
  context: ManagementContext,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  return (await accountRows(context)).find((row) => row.id === id);
}

async function groups(
  request: Request,
  method: string,
  id: string | undefined,
  { directory, live }: ManagementContext,
): Promise<Response> {
  if (id === undefined) {
    if (method === "GET") return Response.json(directory.groups());
    if (method !== "POST") return methodNotAllowed("GET, POST");
    const group = await directory.createGroup(await jsonBody(request));
    live.poke();
    return Response.json(group, { status: 201 });
  }
  if (method === "GET") {
    const group = directory.groups().find((item) => item.id === id);
    return group ? Response.json(group) : notFound(`unknown group "${id}"`);
  }
  if (method === "PUT") {
    const group = await directory.putGroup(id, await jsonBody(request));
    live.poke();
    return Response.json(group);
  }
  if (method !== "DELETE") return methodNotAllowed("GET, PUT, DELETE");
  await directory.deleteGroup(id);
  live.poke();
  return Response.json({ id, deleted: true });
}

/** The whole list at once: `PUT` replaces it, `DELETE` goes back to the config's rules. */
async function errorRules(
  request: Request,
  method: string,
  { errorRules, live }: ManagementContext,
): Promise<Response> {
  if (method === "GET") return Response.json(errorRules.view());
  if (method === "PUT") {
    const view = await errorRules.replace(await jsonBody(request));
    live.poke();
    return Response.json(view);
  }
  if (method !== "DELETE") return methodNotAllowed("GET, PUT, DELETE");
  const view = await errorRules.reset();
  live.poke();
  return Response.json(view);
}

const DIMENSIONS: readonly UsageDimension[] = ["key", "account", "model"];

async function usage(url: URL, { usage }: ManagementContext): Promise<Response> {
  const today = utcDay(Date.now());
  const from = url.searchParams.get("from") || today;
  const to = url.searchParams.get("to") || from;
  const by = (url.searchParams.get("by") || "key") as UsageDimension;
  if (!DIMENSIONS.includes(by)) {
    throw new ConfigError("by", 'must be one of "key", "account", "model"');
  }
  let rows;
  try {
    rows = await usage.query(from, to, by);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError(
      error.message,
      error.message === "from"
        ? "must be a date, YYYY-MM-DD"
        : "must be a date YYYY-MM-DD, not before from and at most 366 days after it",
    );
  }
  const totals = rows.reduce(
    (sum, row) => ({
      input: sum.input + row.input,
      output: sum.output + row.output,
      cached: sum.cached + row.cached,
      requests: sum.requests + row.requests,
    }),
    { input: 0, output: 0, cached: 0, requests: 0 },
  );
  return Response.json({
    from,
    to,
    by,
    rows: rows.map(({ id, ...counts }) => ({ [by]: id, ...counts })),
    totals,
  });
}

/** A request body as JSON; anything else is a 400 naming `body`. */
export async function jsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError("body", "must be a JSON object");
  }
}

/** An admin error in the OpenAI shape, with `param` naming the field for a 400. */
export function adminError(
  status: number,
  message: string,
  param: string | null = null,
  headers?: HeadersInit,
): Response {
  const type = status === 400
    ? "invalid_request_error"
    : status === 404
    ? "not_found_error"
    : status === 409
    ? "conflict_error"
    : status === 405
    ? "invalid_request_error"
    : "server_error";
  return Response.json({ error: { message, type, param, code: null } }, { status, headers });
}

/** The answer for an error thrown by a handler: a field's 400, a 404, 409 or 503; rethrows others. */
export function problem(error: unknown): Response {
  if (error instanceof ConfigError) {
    return error.field
      ? adminError(400, error.message, error.field)
      : adminError(400, `body: ${error.message}`, "body");
  }
  if (error instanceof DirectoryConflict) return adminError(409, error.message);
  if (error instanceof DirectoryNotFound) return adminError(404, error.message);
  if (error instanceof SecretUnavailable) return adminError(503, error.message);
  throw error;
}

function notFound(message: string): Response {
  return adminError(404, message);
}

function methodNotAllowed(allow: string): Response {
  return adminError(405, `use ${allow}`, null, { allow });
}
