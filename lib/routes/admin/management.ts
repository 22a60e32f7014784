/**
 * The management API, behind the admin token (checked by `lib/routes/admin/guard.ts`
 * before these handlers run). Every change lands in KV, so it works on Deno
 * Deploy with no config file:
 * - `GET|POST /admin/keys`, `GET|PUT|DELETE /admin/keys/:id` (`PUT`: group and limits);
 * - `GET|POST /admin/accounts`, `GET|PUT|DELETE /admin/accounts/:id`;
 * - `GET|POST /admin/groups`, `GET|PUT|DELETE /admin/groups/:id`;
 * - `GET|PUT|DELETE /admin/error-rules` (the whole list at once);
 * - `GET /admin/usage?from=&to=&by=key|account|model|group` (rows carry `costUsd`);
 * - `GET|PUT|DELETE /admin/pricing`, `GET /admin/budgets` (`./pricing.ts`);
 * - `GET /admin/dashboard` (one snapshot) and `GET /admin/events` (SSE).
 *
 * Bad input gets a 400 whose `param` names the field (`./answers.ts`).
 *
 * @module
 */

import { ConfigError } from "../../config/errors.ts";
import { sha256Hex } from "../../crypto/digest.ts";
import { presentedKey } from "../../http/headers.ts";
import type { Directory } from "../../accounts/directory.ts";
import type { ErrorRuleStore } from "../../failover/rule_store.ts";
import type { LiveHub } from "../../observe/live_hub.ts";
import type { DashboardSnapshot } from "../dashboard/snapshot.ts";
import type { AccountStateStore } from "../../accounts/health.ts";
import { type UsageDimension, type UsageRecorder, utcDay } from "../../usage/recorder.ts";
import type { QuotaBook } from "../../accounts/quota.ts";
import { type TrialLog, withLastTests } from "../../accounts/trial_log.ts";
import type { Route } from "../table.ts";
import { type AccountView, accountViews } from "./accounts.ts";
import { adminError, jsonBody, managed, methodNotAllowed } from "./answers.ts";
import type { Money } from "../../usage/money.ts";
import { budgetsEndpoint, pricingEndpoint } from "./pricing.ts";
import { usageWithCost } from "./usage_cost.ts";

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
  /** Prices and budgets (`/admin/pricing`, `/admin/budgets`, `costUsd` in usage). */
  money?: Money;
  /** Each account's last test, shown as `lastTest` (`POST /admin/accounts/{id}/test`). */
  trials?: TrialLog;
}

/** `GET /admin/accounts` rows: health, public settings, source and the last test (`lastTest`). */
export async function accountRows(
  context: Pick<ManagementContext, "directory" | "states" | "quotas" | "trials">,
): Promise<(Record<string, unknown> & AccountView)[]> {
  const views = await accountViews({
    accounts: () => context.directory.accounts(),
    states: context.states,
    quotas: context.quotas,
  });
  const rows = views.map((view) => ({ ...context.directory.publicAccount(view.id), ...view }));
  return context.trials ? await withLastTests(rows, context.trials) : rows;
}

/** The management routes, in the admin route table (behind the admin gate). */
export function managementRoutes(context: ManagementContext): Route[] {
  const { snapshot, live } = context;
  return [
    { path: "/admin/keys", handle: managed((request) => keys(request, undefined, context)) },
    { path: "/admin/keys/:id", handle: managed((request, id) => keys(request, id, context)) },
    {
      path: "/admin/accounts",
      handle: managed((request) => accounts(request, undefined, context)),
    },
    {
      path: "/admin/accounts/:id",
      handle: managed((request, id) => accounts(request, id, context)),
    },
    { path: "/admin/groups", handle: managed((request) => groups(request, undefined, context)) },
    { path: "/admin/groups/:id", handle: managed((request, id) => groups(request, id, context)) },
    { path: "/admin/error-rules", handle: managed((request) => errorRules(request, context)) },
    { path: "/admin/usage", handle: managed((request, _id, url) => usage(request, url, context)) },
    ...(context.money ? moneyRoutes(context, context.money) : []),
    {
      path: "/admin/dashboard",
      handle: managed(async (request) =>
        request.method === "GET" ? Response.json(await snapshot()) : methodNotAllowed("GET")
      ),
    },
    {
      path: "/admin/events",
      handle: managed((request) =>
        Promise.resolve(
          request.method === "GET"
            // Tied to the token it was opened with: a token reset ends it.
            ? live.stream(sha256Hex(presentedKey(request.headers) ?? ""))
            : methodNotAllowed("GET"),
        )
      ),
    },
  ];
}

/** One of the directory's collections, as the management API serves it. */
interface Collection {
  /** What one entry is called in messages, e.g. `key`. */
  noun: string;
  list(): unknown;
  /** One entry; `undefined` when there is none. */
  get(id: string): unknown;
  /** Creates an entry from a body; the answer's body. */
  create(body: unknown): Promise<unknown>;
  /** Creates or replaces an entry (absent: `PUT` is not allowed); the answer's body. */
  put?(id: string, body: unknown): Promise<unknown>;
  /** Removes an entry; the answer's body. */
  remove(id: string): Promise<unknown>;
}

/** `GET|POST` on a collection, `GET|PUT|DELETE` on an entry; every change pokes open dashboards. */
async function collection(
  request: Request,
  id: string | undefined,
  entries: Collection,
  live: ManagementContext["live"],
): Promise<Response> {
  const method = request.method;
  const changed = (body: unknown, status = 200) => {
    live.poke();
    return Response.json(body, { status });
  };
  if (id === undefined) {
    if (method === "GET") return Response.json(await entries.list());
    if (method !== "POST") return methodNotAllowed("GET, POST");
    return changed(await entries.create(await jsonBody(request)), 201);
  }
  if (method === "GET") {
    const entry = await entries.get(id);
    return entry ? Response.json(entry) : adminError(404, `unknown ${entries.noun} "${id}"`);
  }
  if (method === "PUT" && entries.put) {
    return changed(await entries.put(id, await jsonBody(request)));
  }
  if (method !== "DELETE") {
    return methodNotAllowed(entries.put ? "GET, PUT, DELETE" : "GET, DELETE");
  }
  return changed(await entries.remove(id));
}

function keys(request: Request, id: string | undefined, context: ManagementContext) {
  const { directory } = context;
  return collection(request, id, {
    noun: "key",
    list: () => directory.keys(),
    get: (id) => directory.key(id),
    async create(body) {
      const { key, secret } = await directory.createKey(body);
      return { ...key, key: secret };
    },
    // Group and limits only; `null` lifts a limit. The secret stays.
    put: (id, body) => directory.updateKey(id, body),
    remove: async (id) => (await directory.revokeKey(id), { id, revoked: true }),
  }, context.live);
}

function accounts(request: Request, id: string | undefined, context: ManagementContext) {
  const { directory } = context;
  return collection(request, id, {
    noun: "account",
    list: () => accountRows(context),
    get: (id) => directory.account(id) ? accountRow(context, id) : undefined,
    create: async (body) => await accountRow(context, (await directory.createAccount(body)).id),
    put: async (id, body) => (await directory.putAccount(id, body), await accountRow(context, id)),
    remove: async (id) => (await directory.deleteAccount(id), { id, deleted: true }),
  }, context.live);
}

async function accountRow(
  context: ManagementContext,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  return (await accountRows(context)).find((row) => row.id === id);
}

function groups(request: Request, id: string | undefined, context: ManagementContext) {
  const { directory } = context;
  return collection(request, id, {
    noun: "group",
    list: () => directory.groups(),
    get: (id) => directory.group(id),
    create: (body) => directory.createGroup(body),
    put: (id, body) => directory.putGroup(id, body),
    remove: async (id) => (await directory.deleteGroup(id), { id, deleted: true }),
  }, context.live);
}

/** The whole list at once: `PUT` replaces it, `DELETE` goes back to the config's rules. */
async function errorRules(
  request: Request,
  { errorRules, live }: ManagementContext,
): Promise<Response> {
  const method = request.method;
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

function moneyRoutes(context: ManagementContext, money: Money): Route[] {
  return [
    {
      path: "/admin/pricing",
      handle: managed((request, _id, url) => pricingEndpoint(request, url, money, context.live)),
    },
    {
      path: "/admin/budgets",
      handle: managed((request) => budgetsEndpoint(request, money, context.directory)),
    },
  ];
}

const DIMENSIONS: readonly (UsageDimension | "group")[] = ["key", "account", "model", "group"];

async function usage(
  request: Request,
  url: URL,
  { usage, directory }: ManagementContext,
): Promise<Response> {
  if (request.method !== "GET") return methodNotAllowed("GET");
  const today = utcDay(Date.now());
  const from = url.searchParams.get("from") || today;
  const to = url.searchParams.get("to") || from;
  const by = (url.searchParams.get("by") || "key") as UsageDimension | "group";
  if (!DIMENSIONS.includes(by)) {
    throw new ConfigError("by", 'must be one of "key", "account", "model", "group"');
  }
  let rows;
  try {
    rows = await usage.query(from, to, by === "group" ? "key" : by);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError(
      error.message,
      error.message === "from"
        ? "must be a date, YYYY-MM-DD"
        : "must be a date YYYY-MM-DD, not before from and at most 366 days after it",
    );
  }
  return Response.json({ from, to, by, ...usageWithCost(rows, by, directory) });
}
