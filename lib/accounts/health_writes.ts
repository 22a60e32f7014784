/**
 * The writes of shared account health (`health.ts` owns the reads): a
 * cooldown as a checked read-max-write, 403 strikes, disabling, resets, and
 * claiming and settling half-open probes. Every write also bumps
 * `["switchyard", "generation"]`, which tells every process to re-list
 * account state. See `health.ts` for the layout of the records.
 *
 * @module
 */

import type { AccountEffect, CooldownReason } from "./model.ts";
import { accountKey, accountModelKey, accountModelsPrefix, GENERATION_KEY } from "../kv/keys.ts";
import { withLockRetry } from "../kv/retry.ts";
import { type DisabledRecord, nextProbeAt, nextProbeWait, probeVerdict } from "./probes.ts";

/** Extra lifetime for cooldown records past their `until`, for garbage collection only. */
const COOLDOWN_GC_GRACE_MS = 60_000;

/** A stored cooldown, of an account or of one (account, model) pair. */
export interface CooldownRecord {
  until: number;
  reason: CooldownReason;
}

/**
 * A change of an account's service state, as this process wrote it (for
 * alerts): it stopped serving, it rests, or it is back.
 */
export type HealthChange =
  | { kind: "disabled"; account: string; reason: string; reauth?: boolean }
  | { kind: "cooled"; account: string; until: number; reason: CooldownReason }
  | { kind: "restored"; account: string; how: string };

/** Writes account health to KV; `tell` hears of every change a write made. */
export class HealthWriter {
  constructor(
    private readonly kv: Deno.Kv,
    private readonly forbiddenStrikes: () => number,
    private readonly probeMs: () => number,
    private readonly tell: (change: HealthChange) => void,
  ) {}

  /**
   * Clears cooldown, strikes, disabled (with its probes) and model cooldowns
   * for an account; `how` names who brought a resting account back.
   */
  async reset(accountId: string, how: string, now: number): Promise<void> {
    const [cooldown, disabled] = await withLockRetry(() =>
      this.kv.getMany<[CooldownRecord, DisabledRecord]>([
        accountKey(accountId, "cooldown"),
        accountKey(accountId, "disabled"),
      ])
    );
    const resting = disabled.value !== null || (cooldown.value?.until ?? 0) > now;
    const models: Deno.KvKey[] = [];
    for await (const entry of this.kv.list({ prefix: accountModelsPrefix(accountId) })) {
      models.push(entry.key);
    }
    await this.#commit((op) => {
      op.delete(accountKey(accountId, "cooldown")).delete(accountKey(accountId, "strikes"))
        .delete(accountKey(accountId, "disabled"));
      for (const modelKey of models) op.delete(modelKey);
      return op;
    });
    if (resting) this.tell({ kind: "restored", account: accountId, how });
  }

  /** See `AccountStateStore.claimProbe`. */
  async claimProbe(accountId: string, now: number): Promise<string | undefined> {
    const probeMs = this.probeMs();
    const [disabled, cooldown] = await withLockRetry(() =>
      this.kv.getMany<[DisabledRecord, CooldownRecord]>([
        accountKey(accountId, "disabled"),
        accountKey(accountId, "cooldown"),
      ])
    );
    const record = disabled.value;
    const due = nextProbeAt(record ?? undefined, cooldown.value?.until ?? 0, probeMs);
    if (!record || due === undefined || due > now) return undefined;
    const claim = crypto.randomUUID();
    const claimed: DisabledRecord = {
      ...record,
      probeAt: now + (record.probeWaitMs ?? probeMs),
      probeClaim: claim,
    };
    const result = await withLockRetry(() =>
      this.kv.atomic().check(disabled).set(accountKey(accountId, "disabled"), claimed)
        .set(GENERATION_KEY, crypto.randomUUID()).commit()
    );
    return result.ok ? claim : undefined;
  }

  /** See `AccountStateStore.settleProbe`. */
  async settleProbe(
    accountId: string,
    claim: string,
    effect: AccountEffect,
    now: number,
  ): Promise<void> {
    const verdict = probeVerdict(effect);
    if (verdict === "inconclusive") return;
    for (;;) {
      const disabled = await withLockRetry(() =>
        this.kv.get<DisabledRecord>(accountKey(accountId, "disabled"))
      );
      const record = disabled.value;
      if (record?.probeClaim !== claim) break;
      const op = this.kv.atomic().check(disabled);
      if (verdict === "restore") {
        op.delete(accountKey(accountId, "disabled")).delete(accountKey(accountId, "strikes"));
      } else if (verdict === "permanent" && effect.kind === "disable") {
        op.set(accountKey(accountId, "disabled"), disabledRecord(effect.reason, false, now));
      } else {
        const wait = nextProbeWait(record.probeWaitMs ?? this.probeMs());
        const failed: DisabledRecord = {
          reason: record.reason,
          since: record.since,
          temporary: true,
          probeAt: now + wait,
          probeWaitMs: wait,
        };
        op.set(accountKey(accountId, "disabled"), failed);
      }
      op.set(GENERATION_KEY, crypto.randomUUID());
      if ((await withLockRetry(() => op.commit())).ok) {
        if (verdict === "restore") {
          this.tell({ kind: "restored", account: accountId, how: "probe" });
        }
        if (verdict === "permanent" && effect.kind === "disable") {
          this.tell({ kind: "disabled", account: accountId, ...reasonOf(effect) });
        }
        break;
      }
    }
    // The rest the answer announced still holds (a model limit, a quota reset); never a strike.
    if (effect.kind === "cooldown") await this.cool(accountId, { ...effect, strike: false }, now);
  }

  /**
   * Disables an account in a checked commit. An account already disabled
   * keeps its record and probe schedule, unless a permanent reason replaces
   * a temporary one.
   */
  async disable(
    accountId: string,
    effect: Extract<AccountEffect, { kind: "disable" }>,
    now: number,
  ): Promise<void> {
    const { reason } = effect;
    const temporary = effect.temporary === true;
    for (;;) {
      const disabled = await withLockRetry(() =>
        this.kv.get<DisabledRecord>(accountKey(accountId, "disabled"))
      );
      if (disabled.value && (!disabled.value.temporary || temporary)) return;
      const op = this.kv.atomic().check(disabled)
        .set(accountKey(accountId, "disabled"), disabledRecord(reason, temporary, now))
        .set(GENERATION_KEY, crypto.randomUUID());
      if ((await withLockRetry(() => op.commit())).ok) {
        return this.tell({ kind: "disabled", account: accountId, ...reasonOf(effect) });
      }
    }
  }

  /**
   * Writes a cooldown as a checked read-max-write in one atomic commit, so a
   * shorter cooldown never replaces a longer one, whichever process wrote it
   * first (the local snapshot may not have seen that write yet). A strike
   * counts in the same commit and may disable the account (a temporary
   * reason: it gets probes). A model-scoped cooldown is written the same way
   * under the model's key and never strikes.
   */
  async cool(
    accountId: string,
    effect: Extract<AccountEffect, { kind: "cooldown" }>,
    now: number,
  ): Promise<void> {
    const { reason, until, model } = effect;
    const strike = effect.strike && model === undefined;
    const cooldownKey = model === undefined
      ? accountKey(accountId, "cooldown")
      : accountModelKey(accountId, model);
    for (;;) {
      const [cooldown, strikes, disabled] = await withLockRetry(() =>
        this.kv.getMany<[CooldownRecord, number, DisabledRecord]>([
          cooldownKey,
          accountKey(accountId, "strikes"),
          accountKey(accountId, "disabled"),
        ])
      );
      const longer = cooldown.value !== null && cooldown.value.until >= until;
      // Never shorten a longer rest (say, a weekly quota) because of a brief error.
      if (longer && !strike) return;
      const op = this.kv.atomic().check(cooldown);
      if (!longer) setCooldown(op, cooldownKey, until, reason, now);
      let disabling: string | undefined;
      if (strike) {
        const count = (strikes.value ?? 0) + 1;
        op.check(strikes).set(accountKey(accountId, "strikes"), count);
        if (count >= this.forbiddenStrikes() && disabled.value === null) {
          disabling = `${count} consecutive 403 responses`;
          op.check(disabled).set(
            accountKey(accountId, "disabled"),
            disabledRecord(disabling, true, now),
          );
        }
      }
      op.set(GENERATION_KEY, crypto.randomUUID());
      const result = await withLockRetry(() => op.commit());
      if (result.ok) {
        if (disabling) this.tell({ kind: "disabled", account: accountId, reason: disabling });
        else if (!longer && model === undefined) {
          this.tell({ kind: "cooled", account: accountId, until, reason });
        }
        return;
      }
    }
  }

  /** Starts an account's consecutive-403 count over. */
  async clearStrikes(accountId: string): Promise<void> {
    await this.#commit((op) => op.delete(accountKey(accountId, "strikes")));
  }

  async #commit(build: (op: Deno.AtomicOperation) => Deno.AtomicOperation): Promise<void> {
    await withLockRetry(() =>
      build(this.kv.atomic()).set(GENERATION_KEY, crypto.randomUUID()).commit()
    );
  }
}

function setCooldown(
  op: Deno.AtomicOperation,
  cooldownKey: Deno.KvKey,
  until: number,
  reason: CooldownReason,
  now: number,
): Deno.AtomicOperation {
  const record: CooldownRecord = { until, reason };
  return op.set(cooldownKey, record, {
    expireIn: Math.max(1, until - now) + COOLDOWN_GC_GRACE_MS,
  });
}

function reasonOf(effect: Extract<AccountEffect, { kind: "disable" }>) {
  return effect.reauth ? { reason: effect.reason, reauth: true } : { reason: effect.reason };
}

function disabledRecord(reason: string, temporary: boolean, now: number): DisabledRecord {
  return temporary ? { reason, since: now, temporary } : { reason, since: now };
}
