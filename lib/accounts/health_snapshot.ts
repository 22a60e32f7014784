/**
 * Account health as one request sees it: every account's cooldown, strikes,
 * disabled record and model cooldowns at one generation of the shared state
 * (`health.ts` reads it from KV). Pure reads: the planner, the admin views
 * and the metrics ask it what an account's condition is at a given time.
 *
 * @module
 */

import type { CooldownReason } from "./model.ts";
import { type DisabledRecord, nextProbeAt } from "./probes.ts";

/** One account's shared health. */
export interface AccountHealth {
  /** Epoch ms until which the account rests; 0 when it is not cooling. */
  cooldownUntil: number;
  cooldownReason?: CooldownReason;
  strikes: number;
  disabled?: DisabledRecord;
  /** Cooldowns of single models on this account, by model (expired ones included). */
  models?: ReadonlyMap<string, ModelCooldown>;
}

/** A cooldown of one (account, model) pair. */
export interface ModelCooldown {
  until: number;
  reason: CooldownReason;
}

/** Scheduling view of an account's health at a given time. */
export type AccountCondition = "active" | "cooldown" | "disabled";

/** The state of every account with recorded health, at one generation. */
export class HealthSnapshot {
  /** `probeMs`: the configured wait before a first probe; 0 when probes are off. */
  constructor(readonly byAccount: ReadonlyMap<string, AccountHealth>, readonly probeMs = 0) {}

  health(accountId: string): AccountHealth {
    return this.byAccount.get(accountId) ?? HEALTHY;
  }

  condition(accountId: string, now: number): AccountCondition {
    const health = this.health(accountId);
    if (health.disabled) return "disabled";
    return health.cooldownUntil > now ? "cooldown" : "active";
  }

  /** When a disabled account's next half-open probe may run; `undefined` when it gets none. */
  nextProbeAt(accountId: string): number | undefined {
    const health = this.health(accountId);
    return nextProbeAt(health.disabled, health.cooldownUntil, this.probeMs);
  }

  /** Until when `model` rests on this account (0 when it does not); `model` is read only if needed. */
  modelCooldownUntil(accountId: string, model: () => string | undefined): number {
    const models = this.health(accountId).models;
    if (!models || models.size === 0) return 0;
    const name = model();
    return name === undefined ? 0 : models.get(name)?.until ?? 0;
  }

  /** The account's model cooldowns still running at `now`, by model name. */
  modelCooldowns(accountId: string, now: number): (ModelCooldown & { model: string })[] {
    const models = this.health(accountId).models ?? new Map<string, ModelCooldown>();
    return [...models].filter(([, cooldown]) => cooldown.until > now)
      .map(([model, cooldown]) => ({ model, ...cooldown }))
      .sort((a, b) => a.model < b.model ? -1 : 1);
  }
}

const HEALTHY: AccountHealth = Object.freeze({ cooldownUntil: 0, strikes: 0 });
