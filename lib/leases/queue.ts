/**
 * Waiting for concurrency slots. A request whose key or accounts have a
 * `concurrency` limit takes its key's slot first, then the first account (in
 * the planner's order) with a free slot, or one that has no limit. When all
 * are taken it waits, looking again whenever a slot is given back in this
 * process and every `queuePollMs` for slots freed by other processes, up to
 * `queueTimeoutSeconds`.
 *
 * {@linkcode SlotWait} is one request's wait; {@linkcode waitQuietly} waits
 * without answering the client, which is all a non-streaming request ever
 * does and how a streaming one starts (it then gets keep-alives,
 * `waiting_stream.ts`).
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import type { Slot, SlotLeases } from "./slots.ts";

/** Default wait for a concurrency slot. */
export const DEFAULT_QUEUE_TIMEOUT_SECONDS = 30;

/** How long and how often a request waits. */
export interface QueueSettings {
  timeoutMs: number;
  /** How often a waiting request looks for slots freed by other processes. */
  pollMs: number;
  /** Silence before a waiting streaming request gets its first keep-alive, and between them. */
  keepAliveMs: number;
}

/** The account that leads the request, with its slot when it has a limit. */
export interface Held {
  account: Account;
  slot?: Slot;
}

/** What a wait is for. */
export interface WaitRequest {
  /** The accounts in the planner's order. */
  accounts: readonly Account[];
  key: { id: string; concurrency?: number };
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** The key's slot when it was taken already (before a large body was read). */
  keySlot?: Slot;
}

/** One request's wait for slots. */
export class SlotWait {
  readonly started = Date.now();
  readonly deadline: number;
  #keySlot: Slot | undefined;

  constructor(
    private readonly slots: SlotLeases,
    private readonly request: WaitRequest,
    readonly settings: QueueSettings,
  ) {
    this.deadline = this.started + settings.timeoutMs;
    this.#keySlot = request.keySlot;
  }

  get signal(): AbortSignal {
    return this.request.signal;
  }

  /** The key's slot (kept once taken), then an account's; `undefined` while all are taken. */
  async grab(): Promise<Held | undefined> {
    const { key, accounts } = this.request;
    if (key.concurrency !== undefined && !this.#keySlot) {
      this.#keySlot = await this.slots.tryAcquire("key", key.id, key.concurrency) ?? undefined;
      if (!this.#keySlot) return undefined;
    }
    for (const account of accounts) {
      if (account.concurrency === undefined) return { account };
      const slot = await this.slots.tryAcquire("account", account.id, account.concurrency);
      if (slot) return { account, slot };
    }
    return undefined;
  }

  /** Waits for a slot to be given back, at most `ms` (and a poll interval), or the client to go. */
  changed(ms: number): Promise<void> {
    return this.slots.changed(Math.min(this.settings.pollMs, ms), this.request.signal);
  }

  /** Gives the key's slot back (when the response ends, or when the wait gives up). */
  releaseKey(): void {
    const slot = this.#keySlot;
    this.#keySlot = undefined;
    if (slot) this.slots.track(slot.release());
  }

  /** The message of a wait that ran out. */
  timedOut(): string {
    const seconds = Math.ceil(this.settings.timeoutMs / 1000);
    return `every account is at its concurrency limit; waited ${seconds}s for a free slot`;
  }
}

/** Waits and grabs again until slots free, `until` (epoch ms) passes, or the client goes. */
export async function waitQuietly(wait: SlotWait, until: number): Promise<Held | undefined> {
  let held: Held | undefined;
  while (!held && Date.now() < until && !wait.signal.aborted) {
    await wait.changed(until - Date.now());
    held = await wait.grab();
  }
  return held;
}
