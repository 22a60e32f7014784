/**
 * Shared account health in Deno KV: cooldowns, consecutive-403 strikes and
 * disabled accounts. Every process on the same KV sees the same state.
 *
 * Layout (under `["switchyard", "account", id]`):
 * - `cooldown` → `{ until, reason }`; `until` is authoritative because
 *   `expireIn` is lazy, and the expiry only collects garbage.
 * - `strikes`  → number, with no expiry: strikes outlive cooldowns.
 * - `disabled` → `{ reason, since, temporary?, probeAt?, probeWaitMs?, probeClaim? }`,
 *   until an admin resets the account or, for a `temporary` reason, a
 *   half-open probe succeeds (`probes.ts`).
 * - `model`, model name → `{ until, reason }`: a cooldown of that (account,
 *   model) pair only, with the same never-shorten rule as `cooldown`.
 *
 * Every write also bumps `["switchyard", "generation"]`. A request reads only
 * that one key (shared between concurrent requests by {@linkcode CoalescedRead})
 * and re-lists account state only when it changed, which keeps the hot path to
 * one KV read while a cooldown written by another process still counts on the
 * very next request. For a local KV file a {@linkcode FileChangeSentinel}
 * goes further and skips even that read while no process has written.
 *
 * @module
 */

import { DEFAULT_PROBE_SECONDS } from "../config/defaults.ts";
import type { AccountEffect, CooldownReason } from "./model.ts";
import { type AccountHealth, HealthSnapshot, type ModelCooldown } from "./health_snapshot.ts";
import { CoalescedRead } from "../kv/coalesced_read.ts";
import type { FileChangeSentinel } from "../kv/file_change_sentinel.ts";
import {
  accountKey,
  accountModelKey,
  accountModelsPrefix,
  ACCOUNTS_PREFIX,
  GENERATION_KEY,
} from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { type DisabledRecord, nextProbeAt, nextProbeWait, probeVerdict } from "./probes.ts";

/** Extra lifetime for cooldown records past their `until`, for garbage collection only. */
const COOLDOWN_GC_GRACE_MS = 60_000;

interface CooldownRecord {
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

/** Reads and writes account health in KV. */
export class AccountStateStore {
  #listener: ((change: HealthChange) => void) | undefined;
  #snapshot = new HealthSnapshot(new Map());
  #generation: string | null | undefined = undefined;
  readonly #reader: CoalescedRead<HealthSnapshot>;
  readonly #watches: { key: Deno.KvKey; seen?: string | null; onChange(): Promise<void> }[] = [];

  constructor(
    private readonly kv: Deno.Kv,
    private readonly forbiddenStrikes: () => number,
    private readonly sentinel?: FileChangeSentinel,
    /** `failover.probeSeconds`: the wait before a first probe; 0 turns probes off. */
    private readonly probeSeconds: () => number = () => DEFAULT_PROBE_SECONDS,
    /** Bounds the hot path's reads; while the KV is down, requests get the last snapshot. */
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#reader = new CoalescedRead(() => this.#refresh());
  }

  /** Health as of a KV read that began after this call, or provably as fresh. */
  current(): Promise<HealthSnapshot> {
    if (this.sentinel?.unchanged()) return Promise.resolve(this.#snapshot);
    return this.#reader.fresh();
  }

  /**
   * Reads `key` in the same KV round trip as the generation on every refresh
   * and awaits `onChange` before `current()` resolves whenever its
   * versionstamp moved (the directory of keys, accounts and groups uses this).
   */
  watch(key: Deno.KvKey, onChange: () => Promise<void>): void {
    this.#watches.push({ key, onChange });
  }

  /** Tells `listener` of every change this process writes (one listener: the alerts). */
  listen(listener: (change: HealthChange) => void): void {
    this.#listener = listener;
  }

  #tell(change: HealthChange): void {
    try {
      this.#listener?.(change);
    } catch {
      // A listener never breaks a state write.
    }
  }

  /** Applies what an upstream answer did to an account. */
  async apply(accountId: string, effect: AccountEffect, now = Date.now()): Promise<void> {
    switch (effect.kind) {
      case "none":
        return;
      case "healthy":
        // Only a write when there is something to clear: successes are the hot path.
        if (this.#snapshot.health(accountId).strikes > 0) await this.#clearStrikes(accountId);
        return;
      case "disable":
        await this.#disable(accountId, effect, now);
        return;
      case "cooldown":
        await this.#cool(accountId, effect, now);
        return;
    }
  }

  /**
   * Clears cooldown, strikes, disabled (with its probes) and model cooldowns
   * for an account; `how` names who brought a resting account back.
   */
  async reset(accountId: string, how = "reset", now = Date.now()): Promise<void> {
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
    if (resting) this.#tell({ kind: "restored", account: accountId, how });
  }

  /**
   * Claims the due half-open probe of a disabled account for one request, in
   * a checked commit: of all processes racing for it exactly one gets the
   * claim, and the next probe moves one wait ahead (so a process that dies
   * mid-probe only delays the next one). `undefined` when the probe is not
   * due, probes are off, or another process won.
   */
  async claimProbe(accountId: string, now = Date.now()): Promise<string | undefined> {
    const probeMs = this.#probeMs();
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

  /**
   * Applies a probe's answer (`probes.ts`): a success restores the account
   * and clears its strikes; a failure keeps it disabled and doubles the wait
   * (capped at a day); a dead credential disables it for good. A claim that
   * is no longer on the record (an admin reset the account meanwhile)
   * changes nothing.
   */
  async settleProbe(
    accountId: string,
    claim: string,
    effect: AccountEffect,
    now = Date.now(),
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
        const wait = nextProbeWait(record.probeWaitMs ?? this.#probeMs());
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
          this.#tell({ kind: "restored", account: accountId, how: "probe" });
        }
        if (verdict === "permanent" && effect.kind === "disable") {
          this.#tell({ kind: "disabled", account: accountId, ...reasonOf(effect) });
        }
        break;
      }
    }
    // The rest the answer announced still holds (a model limit, a quota reset); never a strike.
    if (effect.kind === "cooldown") await this.#cool(accountId, { ...effect, strike: false }, now);
  }

  /**
   * Disables an account in a checked commit. An account already disabled
   * keeps its record and probe schedule, unless a permanent reason replaces
   * a temporary one.
   */
  async #disable(
    accountId: string,
    effect: Extract<AccountEffect, { kind: "disable" }>,
    now: number,
  ) {
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
        return this.#tell({ kind: "disabled", account: accountId, ...reasonOf(effect) });
      }
    }
  }

  #probeMs(): number {
    return Math.max(0, this.probeSeconds() * 1000);
  }

  /**
   * Writes a cooldown as a checked read-max-write in one atomic commit, so a
   * shorter cooldown never replaces a longer one, whichever process wrote it
   * first (the local snapshot may not have seen that write yet). A strike
   * counts in the same commit and may disable the account (a temporary
   * reason: it gets probes). A model-scoped cooldown is written the same way
   * under the model's key and never strikes.
   */
  async #cool(
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
      if (!longer) this.#setCooldown(op, cooldownKey, until, reason, now);
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
        if (disabling) this.#tell({ kind: "disabled", account: accountId, reason: disabling });
        else if (!longer && model === undefined) {
          this.#tell({ kind: "cooled", account: accountId, until, reason });
        }
        return;
      }
    }
  }

  async #clearStrikes(accountId: string): Promise<void> {
    await this.#commit((op) => op.delete(accountKey(accountId, "strikes")));
  }

  #setCooldown(
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

  async #commit(build: (op: Deno.AtomicOperation) => Deno.AtomicOperation): Promise<void> {
    await withLockRetry(() =>
      build(this.kv.atomic()).set(GENERATION_KEY, crypto.randomUUID()).commit()
    );
  }

  async #refresh(): Promise<HealthSnapshot> {
    const files = this.sentinel?.observe();
    const readStartedAt = Date.now();
    const snapshot = await this.#read();
    this.sentinel?.verified(files, readStartedAt);
    return snapshot;
  }

  async #read(): Promise<HealthSnapshot> {
    try {
      return await this.#readBounded();
    } catch (error) {
      if (error instanceof KvUnreachable) return this.#snapshot; // The last known state.
      throw error;
    }
  }

  async #readBounded(): Promise<HealthSnapshot> {
    const [generation, ...watched] = await this.reach.call(
      "read health",
      () =>
        withLockRetry(() =>
          this.kv.getMany<unknown[]>([GENERATION_KEY, ...this.#watches.map((watch) => watch.key)])
        ),
    );
    for (const [index, watch] of this.#watches.entries()) {
      if (watched[index].versionstamp === watch.seen) continue;
      await watch.onChange();
      watch.seen = watched[index].versionstamp;
    }
    if (generation.versionstamp === this.#generation) return this.#snapshot;
    const byAccount = new Map<string, AccountHealth>();
    const models = new Map<string, Map<string, ModelCooldown>>();
    const entries = await this.reach.call(
      "read health",
      () => Array.fromAsync(this.kv.list<unknown>({ prefix: ACCOUNTS_PREFIX })),
    );
    for (const entry of entries) {
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
    this.#snapshot = new HealthSnapshot(byAccount, this.#probeMs());
    this.#generation = generation.versionstamp;
    return this.#snapshot;
  }
}

function reasonOf(effect: Extract<AccountEffect, { kind: "disable" }>) {
  return effect.reauth ? { reason: effect.reason, reauth: true } : { reason: effect.reason };
}

function disabledRecord(reason: string, temporary: boolean, now: number): DisabledRecord {
  return temporary ? { reason, since: now, temporary } : { reason, since: now };
}
