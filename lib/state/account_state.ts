/**
 * Shared account health in Deno KV: cooldowns, consecutive-403 strikes and
 * disabled accounts. Every process on the same KV sees the same state.
 *
 * Layout (under `["switchyard", "account", id]`):
 * - `cooldown` → `{ until, reason }`; `until` is authoritative because
 *   `expireIn` is lazy, and the expiry only collects garbage.
 * - `strikes`  → number, with no expiry: strikes outlive cooldowns.
 * - `disabled` → `{ reason, since }`, until an admin resets the account.
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

import type { AccountEffect, CooldownReason } from "../failover/classify.ts";
import { CoalescedRead } from "./coalesced_read.ts";
import type { FileChangeSentinel } from "./file_change_sentinel.ts";
import { ROOT, withLockRetry } from "./kv.ts";

/** Extra lifetime for cooldown records past their `until`, for garbage collection only. */
const COOLDOWN_GC_GRACE_MS = 60_000;

/** One account's shared health. */
export interface AccountHealth {
  /** Epoch ms until which the account rests; 0 when it is not cooling. */
  cooldownUntil: number;
  cooldownReason?: CooldownReason;
  strikes: number;
  disabled?: { reason: string; since: number };
}

/** Scheduling view of an account's health at a given time. */
export type AccountCondition = "active" | "cooldown" | "disabled";

/** The state of every account with recorded health, at one generation. */
export class HealthSnapshot {
  constructor(readonly byAccount: ReadonlyMap<string, AccountHealth>) {}

  health(accountId: string): AccountHealth {
    return this.byAccount.get(accountId) ?? HEALTHY;
  }

  condition(accountId: string, now: number): AccountCondition {
    const health = this.health(accountId);
    if (health.disabled) return "disabled";
    return health.cooldownUntil > now ? "cooldown" : "active";
  }
}

const HEALTHY: AccountHealth = Object.freeze({ cooldownUntil: 0, strikes: 0 });
const GENERATION_KEY: Deno.KvKey = [ROOT, "generation"];
const ACCOUNT_PREFIX: Deno.KvKey = [ROOT, "account"];

interface CooldownRecord {
  until: number;
  reason: CooldownReason;
}

interface DisabledRecord {
  reason: string;
  since: number;
}

/** Reads and writes account health in KV. */
export class AccountStateStore {
  #snapshot = new HealthSnapshot(new Map());
  #generation: string | null | undefined = undefined;
  readonly #reader: CoalescedRead<HealthSnapshot>;
  readonly #watches: { key: Deno.KvKey; seen?: string | null; onChange(): Promise<void> }[] = [];

  constructor(
    private readonly kv: Deno.Kv,
    private readonly forbiddenStrikes: () => number,
    private readonly sentinel?: FileChangeSentinel,
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
        await this.#commit((op) =>
          op.set(key(accountId, "disabled"), { reason: effect.reason, since: now })
        );
        return;
      case "cooldown":
        await this.#cool(accountId, effect.reason, effect.until, effect.strike, now);
        return;
    }
  }

  /** Clears cooldown, strikes and disabled for an account. */
  async reset(accountId: string): Promise<void> {
    await this.#commit((op) =>
      op.delete(key(accountId, "cooldown")).delete(key(accountId, "strikes")).delete(
        key(accountId, "disabled"),
      )
    );
  }

  /**
   * Writes a cooldown as a checked read-max-write in one atomic commit, so a
   * shorter cooldown never replaces a longer one, whichever process wrote it
   * first (the local snapshot may not have seen that write yet). A strike
   * counts in the same commit and may disable the account.
   */
  async #cool(
    accountId: string,
    reason: CooldownReason,
    until: number,
    strike: boolean,
    now: number,
  ): Promise<void> {
    for (;;) {
      const [cooldown, strikes] = await withLockRetry(() =>
        this.kv.getMany<[CooldownRecord, number]>([
          key(accountId, "cooldown"),
          key(accountId, "strikes"),
        ])
      );
      const longer = cooldown.value !== null && cooldown.value.until >= until;
      // Never shorten a longer rest (say, a weekly quota) because of a brief error.
      if (longer && !strike) return;
      const op = this.kv.atomic().check(cooldown);
      if (!longer) this.#setCooldown(op, accountId, until, reason, now);
      if (strike) {
        const count = (strikes.value ?? 0) + 1;
        op.check(strikes).set(key(accountId, "strikes"), count);
        if (count >= this.forbiddenStrikes()) {
          op.set(
            key(accountId, "disabled"),
            { reason: `${count} consecutive 403 responses`, since: now } satisfies DisabledRecord,
          );
        }
      }
      op.set(GENERATION_KEY, crypto.randomUUID());
      const result = await withLockRetry(() => op.commit());
      if (result.ok) return;
    }
  }

  async #clearStrikes(accountId: string): Promise<void> {
    await this.#commit((op) => op.delete(key(accountId, "strikes")));
  }

  #setCooldown(
    op: Deno.AtomicOperation,
    accountId: string,
    until: number,
    reason: CooldownReason,
    now: number,
  ): Deno.AtomicOperation {
    const record: CooldownRecord = { until, reason };
    return op.set(key(accountId, "cooldown"), record, {
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
    const [generation, ...watched] = await withLockRetry(() =>
      this.kv.getMany<unknown[]>([GENERATION_KEY, ...this.#watches.map((watch) => watch.key)])
    );
    for (const [index, watch] of this.#watches.entries()) {
      if (watched[index].versionstamp === watch.seen) continue;
      await watch.onChange();
      watch.seen = watched[index].versionstamp;
    }
    if (generation.versionstamp === this.#generation) return this.#snapshot;
    const byAccount = new Map<string, AccountHealth>();
    const entries = this.kv.list<unknown>({ prefix: ACCOUNT_PREFIX });
    for await (const entry of entries) {
      const [, , accountId, field] = entry.key as [string, string, string, string];
      const health = byAccount.get(accountId) ?? { cooldownUntil: 0, strikes: 0 };
      if (field === "cooldown") {
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
    this.#snapshot = new HealthSnapshot(byAccount);
    this.#generation = generation.versionstamp;
    return this.#snapshot;
  }
}

function key(accountId: string, field: "cooldown" | "strikes" | "disabled"): Deno.KvKey {
  return [...ACCOUNT_PREFIX, accountId, field];
}
