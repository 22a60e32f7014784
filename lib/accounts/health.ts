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
 * Every write (`health_writes.ts`, through the outbox of `health_outbox.ts`)
 * also bumps `["switchyard", "generation"]`. A read takes that key with the
 * watched ones in one round trip (shared between concurrent requests by
 * {@linkcode CoalescedRead}) and re-lists account state only when it
 * changed. A change signal skips even that read while no process has
 * written: a {@linkcode FileChangeSentinel} on a local KV file, a
 * {@linkcode WatchSignal} (one `kv.watch` stream) on a remote KV, whose
 * deliveries also refresh the snapshot in the background.
 *
 * On a remote KV every wait is bounded by the {@linkcode KvReachability}
 * deadline: when the store does not answer, `current()` serves the last
 * snapshot, and writes apply to it at once and land when the store is back.
 *
 * @module
 */

import { DEFAULT_PROBE_SECONDS } from "../config/defaults.ts";
import type { AccountEffect } from "./model.ts";
import { HealthSnapshot } from "./health_snapshot.ts";
import { listHealth } from "./health_listing.ts";
import { type HealthChange, HealthWriter } from "./health_writes.ts";
import { HealthOutbox } from "./health_outbox.ts";
import { type LocalEffect, overlay } from "./health_overlay.ts";
import { CoalescedRead } from "../kv/coalesced_read.ts";
import type { FileChangeSentinel } from "../kv/file_change_sentinel.ts";
import { GENERATION_KEY } from "../kv/keys.ts";
import { type KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { WatchSignal } from "../kv/watch_signal.ts";

export type { HealthChange } from "./health_writes.ts";

/** How often, at most, a process that lost the KV tries a background read, ms. */
const OUTAGE_READ_GAP_MS = 250;

/** Options of a store on a remote KV. */
export interface RemoteHealthOptions {
  /** Bounds every KV wait (a local file's has no deadline). */
  reach?: KvReachability;
  /** Learn of changes with one `kv.watch` stream (a remote KV, which has no file to stat). */
  watchChanges?: boolean;
  /** The watch's heartbeat (`watch_signal.ts`), ms. */
  heartbeatMs?: number;
}

/** Reads and writes account health in KV. */
export class AccountStateStore {
  #listener: ((change: HealthChange) => void) | undefined;
  #snapshot = new HealthSnapshot(new Map());
  /** The last listing as KV held it (`#snapshot` is it with this process's pending writes). */
  #listed: HealthSnapshot | undefined;
  #generation: string | null | undefined = undefined;
  readonly #reader: CoalescedRead<HealthSnapshot>;
  readonly #watches: { key: Deno.KvKey; seen?: string | null; onChange(): Promise<void> }[] = [];
  readonly #writer: HealthWriter;
  readonly #outbox: HealthOutbox;
  readonly #signal: WatchSignal | undefined;
  readonly #reach: KvReachability | undefined;
  #outageReadAt = 0;
  /** The refresh in flight, with the watch's delivery count when it began. */
  #running: { delivered: number | undefined; read: Promise<HealthSnapshot> } | undefined;

  constructor(
    private readonly kv: Deno.Kv,
    forbiddenStrikes: () => number,
    private readonly sentinel?: FileChangeSentinel,
    /** `failover.probeSeconds`: the wait before a first probe; 0 turns probes off. */
    private readonly probeSeconds: () => number = () => DEFAULT_PROBE_SECONDS,
    remote: RemoteHealthOptions = {},
  ) {
    this.#reader = new CoalescedRead(() => this.#refresh());
    this.#writer = new HealthWriter(kv, forbiddenStrikes, () => this.#probeMs(), (change) => {
      try {
        this.#listener?.(change);
      } catch {
        // A listener never breaks a state write.
      }
    });
    this.#reach = remote.reach && Number.isFinite(remote.reach.deadlineMs)
      ? remote.reach
      : undefined;
    this.#outbox = new HealthOutbox(this.#reach);
    this.#signal = remote.watchChanges
      ? new WatchSignal(kv, {
        reach: remote.reach,
        heartbeatMs: remote.heartbeatMs,
        // A delivered change is read in the background, so the next request finds it read.
        onChange: () => void this.#reader.fresh().catch(() => {}),
      })
      : undefined;
  }

  /**
   * Health as of a KV read that began after this call, or provably as fresh
   * (a change signal). On a remote KV that does not answer within the
   * deadline: the last snapshot, with this process's own writes laid over it.
   */
  current(): Promise<HealthSnapshot> {
    if (this.sentinel?.unchanged() || this.#signal?.unchanged()) {
      return Promise.resolve(this.#snapshot);
    }
    const reach = this.#reach;
    if (!reach) return this.#reader.fresh();
    // A read that began after the last delivery (the background refresh) is fresh enough.
    const running = this.#running;
    const read = running && this.#signal && running.delivered === this.#signal.observe()
      ? () => running.read
      : () => this.#reader.fresh();
    if (!reach.reachable) {
      this.#readInOutage(reach);
      return Promise.resolve(this.#snapshot);
    }
    return reach.call("read account health", read).catch((error) => {
      if (error instanceof KvUnreachable) return this.#snapshot;
      throw error;
    });
  }

  /**
   * Reads `key` in the same KV round trip as the generation on every refresh
   * (and watches it on a remote KV) and awaits `onChange` before `current()`
   * resolves whenever its versionstamp moved (the directory of keys, accounts
   * and groups uses this). The key must never be deleted: a process's own
   * write is not "seen" here, so a key that went back to `null` after it
   * would look unchanged to that process.
   */
  watch(key: Deno.KvKey, onChange: () => Promise<void>): void {
    this.#watches.push({ key, onChange });
  }

  /** Tells `listener` of every change this process writes (one listener: the alerts). */
  listen(listener: (change: HealthChange) => void): void {
    this.#listener = listener;
  }

  /** Is the watch stream of a remote KV connected? (`false` on a local file: no stream.) */
  get watching(): boolean {
    return this.#signal?.live ?? false;
  }

  /** Health writes not yet in KV (a remote KV that did not answer). */
  get pendingWrites(): number {
    return this.#outbox.pending;
  }

  /** Applies what an upstream answer did to an account (at once here; in KV when it lands). */
  apply(accountId: string, effect: AccountEffect, now = Date.now()): Promise<void> {
    switch (effect.kind) {
      case "none":
        return Promise.resolve();
      case "healthy":
        // Only a write when there is something to clear: successes are the hot path.
        if (this.#snapshot.health(accountId).strikes === 0) return Promise.resolve();
        return this.#write({ accountId, effect, now }, () => this.#writer.clearStrikes(accountId));
      case "disable":
        return this.#write(
          { accountId, effect, now },
          () => this.#writer.disable(accountId, effect, now),
        );
      case "cooldown":
        // A rest already over (`cooldownSeconds` 0: fail over, rest nothing) changes nothing a
        // request reads: no commit, so no process re-reads the state on its account either.
        if (effect.until <= now && !effect.strike) return Promise.resolve();
        return this.#write(
          { accountId, effect, now },
          () => this.#writer.cool(accountId, effect, now),
        );
    }
  }

  /**
   * Clears cooldown, strikes, disabled (with its probes) and model cooldowns
   * for an account; `how` names who brought a resting account back. Throws
   * `KvUnreachable` when a remote KV does not answer.
   */
  async reset(accountId: string, how = "reset", now = Date.now()): Promise<void> {
    const reset = () => this.#writer.reset(accountId, how, now).finally(() => this.#wrote());
    await (this.#reach ? this.#reach.call("reset account health", reset) : reset());
  }

  /**
   * Claims the due half-open probe of a disabled account for one request, in
   * a checked commit: of all processes racing for it exactly one gets the
   * claim, and the next probe moves one wait ahead (so a process that dies
   * mid-probe only delays the next one). `undefined` when the probe is not
   * due, probes are off, another process won, or the KV does not answer.
   */
  async claimProbe(accountId: string, now = Date.now()): Promise<string | undefined> {
    const claim = () => this.#writer.claimProbe(accountId, now).finally(() => this.#wrote());
    if (!this.#reach) return await claim();
    if (!this.#reach.reachable) return undefined;
    return await this.#reach.call("claim a probe", claim).catch((error) => {
      if (error instanceof KvUnreachable) return undefined;
      throw error;
    });
  }

  /**
   * Applies a probe's answer (`probes.ts`): a success restores the account
   * and clears its strikes; a failure keeps it disabled and doubles the wait
   * (capped at a day); a dead credential disables it for good. A claim that
   * is no longer on the record (an admin reset the account meanwhile)
   * changes nothing.
   */
  settleProbe(
    accountId: string,
    claim: string,
    effect: AccountEffect,
    now = Date.now(),
  ): Promise<void> {
    // Of a probe's answer only a rest it announced is honoured before it lands.
    const local = effect.kind === "cooldown"
      ? { accountId, effect: { ...effect, strike: false }, now }
      : undefined;
    return this.#write(local, () => this.#writer.settleProbe(accountId, claim, effect, now));
  }

  /** Stops watching and retrying (the KV is closing). */
  close(): void {
    this.#signal?.close();
    this.#outbox.close();
  }

  #write(local: LocalEffect | undefined, write: () => Promise<void>): Promise<void> {
    const written = this.#outbox.push(local, () => write().finally(() => this.#wrote()));
    if (local) this.#snapshot = overlay(this.#snapshot, [local]);
    return written;
  }

  /** This process wrote: KV may now differ from the overlay (a 3rd strike), so the next read is real. */
  #wrote(): void {
    this.#signal?.invalidate();
  }

  #probeMs(): number {
    return Math.max(0, this.probeSeconds() * 1000);
  }

  /** One background read at a time while the store is down; it tells the reachability when it answers. */
  #readInOutage(reach: KvReachability): void {
    const now = Date.now();
    if (now < this.#outageReadAt) return;
    this.#outageReadAt = Infinity;
    this.#reader.fresh().catch((error) => reach.failed(error))
      .finally(() => this.#outageReadAt = Date.now() + OUTAGE_READ_GAP_MS);
  }

  #refresh(): Promise<HealthSnapshot> {
    this.#signal?.watch([GENERATION_KEY, ...this.#watches.map((watch) => watch.key)]);
    const delivered = this.#signal?.observe();
    const read = this.#refreshRead(delivered);
    const running = { delivered, read };
    this.#running = running;
    const done = () => {
      if (this.#running === running) this.#running = undefined;
    };
    read.then(done, done);
    return read;
  }

  async #refreshRead(delivered: number | undefined): Promise<HealthSnapshot> {
    const files = this.sentinel?.observe();
    const landed = this.#outbox.mark();
    const readStartedAt = Date.now();
    const snapshot = await this.#read();
    this.#reach?.answered(); // Also a read that outlived its deadline: the store is back.
    this.sentinel?.verified(files, readStartedAt);
    if (delivered !== undefined) this.#signal?.verified(delivered);
    this.#outbox.forget(landed);
    this.#snapshot = overlay(snapshot, this.#outbox.effects());
    return this.#snapshot;
  }

  /** Account health as KV holds it (the generation's listing, re-read only when it moved). */
  async #read(): Promise<HealthSnapshot> {
    const [generation, ...watched] = await withLockRetry(() =>
      this.kv.getMany<unknown[]>([GENERATION_KEY, ...this.#watches.map((watch) => watch.key)])
    );
    for (const [index, watch] of this.#watches.entries()) {
      if (watched[index].versionstamp === watch.seen) continue;
      await watch.onChange();
      watch.seen = watched[index].versionstamp;
    }
    if (generation.versionstamp === this.#generation && this.#listed) return this.#listed;
    this.#listed = await listHealth(this.kv, this.#probeMs());
    this.#generation = generation.versionstamp;
    return this.#listed;
  }
}
