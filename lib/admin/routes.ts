/**
 * The admin API: account health and resets. It answers only when
 * `SWITCHYARD_ADMIN_TOKEN` is set (404 otherwise, so its existence is not
 * advertised) and only to that Bearer token.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import { constantTimeEqual, presentedKey, sha256Hex } from "../auth/secrets.ts";
import { errorResponse } from "../http/errors.ts";
import type { AccountStateStore } from "../state/account_state.ts";
import { type QuotaBook, type QuotaView, quotaView } from "../quota/snapshots.ts";

/** One row of `GET /admin/accounts`. */
export interface AccountView {
  id: string;
  platform: string;
  state: "active" | "cooldown" | "disabled";
  until?: string;
  reason?: string;
  strikes: number;
  /** When a disabled account's next half-open probe may run (a temporary reason, probes on). */
  probeAt?: string;
  /** Models resting on this account while it serves the others (always present, maybe empty). */
  modelCooldowns?: { model: string; until: string; reason: string }[];
  /** Last quota snapshot (Codex / Claude windows), when the upstream sent one. */
  quota?: QuotaView;
}

/** What the admin routes need. */
export interface AdminContext {
  /** SHA-256 hex of the admin token, or `undefined` when the admin API is off. */
  tokenDigest: string | undefined;
  accounts: readonly Account[];
  states: AccountStateStore;
  /** Quota snapshots; optional. */
  quotas?: QuotaBook;
  /** Further routes (the management API); `null` means not handled there. */
  extra?: (request: Request, url: URL) => Promise<Response | null>;
}

/** Handles `/admin/*`. */
export async function handleAdmin(
  request: Request,
  url: URL,
  context: AdminContext,
): Promise<Response> {
  if (context.tokenDigest === undefined) return errorResponse("openai", 404, "not found");
  const presented = presentedKey(request.headers);
  if (!presented || !constantTimeEqual(sha256Hex(presented), context.tokenDigest)) {
    return errorResponse("openai", 401, "invalid admin token");
  }

  const extra = await context.extra?.(request, url);
  if (extra) return extra;

  const path = url.pathname;
  if (path === "/admin/accounts") {
    if (request.method !== "GET") return errorResponse("openai", 405, "use GET");
    return Response.json(await accountViews(context));
  }
  const reset = /^\/admin\/accounts\/([^/]+)\/reset$/.exec(path);
  if (reset) {
    if (request.method !== "POST") return errorResponse("openai", 405, "use POST");
    const id = decodeId(reset[1]);
    if (id === null) return errorResponse("openai", 400, MALFORMED_ID);
    if (!context.accounts.some((account) => account.id === id)) {
      return errorResponse("openai", 404, `unknown account "${id}"`);
    }
    await context.states.reset(id);
    const view = (await accountViews(context)).find((row) => row.id === id);
    return Response.json(view);
  }
  return errorResponse("openai", 404, "not found");
}

/** Said of an id in a path that does not percent-decode (`%ZZ`). */
export const MALFORMED_ID = "the id in the path has a malformed percent-escape";

/** A percent-encoded path segment decoded, or `null` when it is malformed. */
export function decodeId(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/** Every account's current health. */
export async function accountViews(
  context: Pick<AdminContext, "accounts" | "states" | "quotas">,
): Promise<AccountView[]> {
  const snapshot = await context.states.current();
  const quotas = await context.quotas?.all();
  const now = Date.now();
  return context.accounts.map((account) => {
    const health = snapshot.health(account.id);
    const state = snapshot.condition(account.id, now);
    const view: AccountView = {
      id: account.id,
      platform: account.platform,
      state,
      strikes: health.strikes,
      modelCooldowns: snapshot.modelCooldowns(account.id, now).map(({ model, until, reason }) => ({
        model,
        until: new Date(until).toISOString(),
        reason,
      })),
    };
    if (state === "disabled") {
      view.reason = health.disabled?.reason;
      const probeAt = snapshot.nextProbeAt(account.id);
      if (probeAt !== undefined) view.probeAt = new Date(probeAt).toISOString();
    }
    if (state === "cooldown") {
      view.until = new Date(health.cooldownUntil).toISOString();
      view.reason = health.cooldownReason;
    }
    const quota = quotas?.get(account.id);
    if (quota) view.quota = quotaView(quota);
    return view;
  });
}
