/**
 * This process's own health writes laid over a snapshot before they are
 * known to be in KV (an unreachable remote KV holds them in the outbox):
 * the process honours at once what it wrote. Pure, and idempotent, since an
 * effect may be laid over a read that already holds it: a cooldown only
 * lengthens a rest, a disable only sets one, a success clears strikes.
 * Strikes are not counted here (counting twice would disable early); the
 * KV write counts them when it lands.
 *
 * @module
 */

import type { AccountEffect } from "./model.ts";
import { type AccountHealth, HealthSnapshot, type ModelCooldown } from "./health_snapshot.ts";

/** An effect this process wrote (or is writing) to an account at `now`. */
export interface LocalEffect {
  accountId: string;
  effect: AccountEffect;
  now: number;
}

/** `snapshot` with `effects` applied in order; the same object when none changes anything. */
export function overlay(snapshot: HealthSnapshot, effects: readonly LocalEffect[]): HealthSnapshot {
  if (effects.length === 0) return snapshot;
  const byAccount = new Map(snapshot.byAccount);
  let changed = false;
  for (const { accountId, effect, now } of effects) {
    const before = byAccount.get(accountId) ?? { cooldownUntil: 0, strikes: 0 };
    const after = applyEffect(before, effect, now);
    if (after === before) continue;
    byAccount.set(accountId, after);
    changed = true;
  }
  return changed ? new HealthSnapshot(byAccount, snapshot.probeMs) : snapshot;
}

/** One account's health with `effect` applied; `health` itself when nothing changes. */
export function applyEffect(
  health: AccountHealth,
  effect: AccountEffect,
  now: number,
): AccountHealth {
  switch (effect.kind) {
    case "none":
      return health;
    case "healthy":
      return health.strikes === 0 ? health : { ...health, strikes: 0 };
    case "disable": {
      const temporary = effect.temporary === true;
      if (health.disabled && (!health.disabled.temporary || temporary)) return health;
      const disabled = temporary
        ? { reason: effect.reason, since: now, temporary }
        : { reason: effect.reason, since: now };
      return { ...health, disabled };
    }
    case "cooldown": {
      if (effect.model !== undefined) {
        const models = new Map<string, ModelCooldown>(health.models ?? []);
        if ((models.get(effect.model)?.until ?? 0) >= effect.until) return health;
        models.set(effect.model, { until: effect.until, reason: effect.reason });
        return { ...health, models };
      }
      if (health.cooldownUntil >= effect.until) return health;
      return { ...health, cooldownUntil: effect.until, cooldownReason: effect.reason };
    }
  }
}
