/**
 * Account health for the admin API: the health part of every
 * `GET /admin/accounts` row, and `POST /admin/accounts/:id/reset`, which
 * clears an account's cooldown, strikes, disabled state (with a probe in
 * flight) and model cooldowns.
 *
 * @module
 */

import type { Account } from "../../config/types.ts";
import { errorResponse } from "../../http/errors.ts";
import type { AccountStateStore } from "../../accounts/health.ts";
import { type QuotaBook, quotaStanding, type QuotaView, quotaView } from "../../accounts/quota.ts";

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
  /**
   * An active account with a spent quota window (100 % used): planned only when
   * no other account can serve, until `spentUntil` (when the upstream said).
   */
  spent?: true;
  spentUntil?: string;
}

/** What the account routes need. */
export interface AccountsContext {
  /** Every account, as the directory has them now. */
  accounts(): readonly Account[];
  states: AccountStateStore;
  /** Quota snapshots; optional. */
  quotas?: QuotaBook;
}

/** `POST /admin/accounts/:id/reset`: clears the account's health and shows its new row. */
export async function resetAccount(
  request: Request,
  rawId: string,
  context: AccountsContext,
): Promise<Response> {
  if (rawId === "") return errorResponse("openai", 404, "not found");
  if (request.method !== "POST") return errorResponse("openai", 405, "use POST");
  const id = decodeId(rawId);
  if (id === null) return errorResponse("openai", 400, MALFORMED_ID);
  if (!context.accounts().some((account) => account.id === id)) {
    return errorResponse("openai", 404, `unknown account "${id}"`);
  }
  await context.states.reset(id);
  const view = (await accountViews(context)).find((row) => row.id === id);
  return Response.json(view);
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
export async function accountViews(context: AccountsContext): Promise<AccountView[]> {
  const snapshot = await context.states.current();
  const quotas = await context.quotas?.all();
  const now = Date.now();
  return context.accounts().map((account) => {
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
    if (quota) {
      view.quota = quotaView(quota);
      const standing = quotaStanding(quota, now);
      if (state === "active" && standing.spent) {
        view.spent = true;
        if (standing.spentUntil) view.spentUntil = new Date(standing.spentUntil).toISOString();
      }
    }
    return view;
  });
}
