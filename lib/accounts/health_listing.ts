/**
 * Lists every account's health records from KV into a {@linkcode HealthSnapshot}
 * (the layout is described in `health.ts`): one `list` over the accounts prefix.
 *
 * @module
 */

import { type AccountHealth, HealthSnapshot, type ModelCooldown } from "./health_snapshot.ts";
import type { CooldownRecord } from "./health_writes.ts";
import type { DisabledRecord } from "./probes.ts";
import { ACCOUNTS_PREFIX } from "../kv/keys.ts";

/** The health of every account with records in `kv`; `probeMs` as in {@linkcode HealthSnapshot}. */
export async function listHealth(kv: Deno.Kv, probeMs: number): Promise<HealthSnapshot> {
  const byAccount = new Map<string, AccountHealth>();
  const models = new Map<string, Map<string, ModelCooldown>>();
  for await (const entry of kv.list<unknown>({ prefix: ACCOUNTS_PREFIX })) {
    const [, , accountId, field, model] = entry.key as string[];
    const health = byAccount.get(accountId) ?? { cooldownUntil: 0, strikes: 0 };
    if (field === "model" && typeof model === "string") {
      const mine = models.get(accountId) ?? new Map<string, ModelCooldown>();
      mine.set(model, entry.value as ModelCooldown);
      models.set(accountId, mine);
      health.models = mine;
    } else if (field === "cooldown") {
      const record = entry.value as CooldownRecord;
      health.cooldownUntil = record.until;
      health.cooldownReason = record.reason;
    } else if (field === "strikes") {
      health.strikes = entry.value as number;
    } else if (field === "disabled") {
      health.disabled = entry.value as DisabledRecord;
    }
    byAccount.set(accountId, health);
  }
  return new HealthSnapshot(byAccount, probeMs);
}
