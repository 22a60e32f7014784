/**
 * Stage 4, lease: where a key or an account has a `concurrency` limit, takes
 * the key's slot and the first account's (in the planner's order) that is
 * free (`lib/leases/`). When all are taken, a request waits quietly for
 * `keepAliveMs`; a streaming request that must wait longer is answered at
 * once with a waiting event stream (`lib/leases/waiting_stream.ts`); any
 * other waits up to `queueTimeoutSeconds` and then gets 429 with
 * `Retry-After`. Costs nothing when no limit is configured.
 *
 * A large body (or one of unknown length) is read only once its key holds a
 * slot ({@linkcode leaseKeyFirst}, called by admission): a key at its limit
 * buffers no more bodies than it has slots. The slot then leads this stage.
 *
 * @module
 */

import type { KeyInfo } from "../accounts/directory.ts";
import type { Account } from "../config/types.ts";
import { HttpError } from "../http/errors.ts";
import { type Held, type QueueSettings, SlotWait, waitQuietly } from "../leases/queue.ts";
import type { Slot, SlotLeases } from "../leases/slots.ts";
import { type Refusal, refusal } from "./refusal.ts";

/** What leasing uses. */
export interface LeaseDeps {
  slots: SlotLeases;
  queue: QueueSettings;
}

/** Where the request stands on slots. */
export type Lease =
  /** Go ahead: `held` leads (with its slot); `release` gives the key's slot back at the end. */
  | { kind: "held"; held?: Held; release?: () => void }
  /** A streaming request that must keep waiting: answer with a waiting stream. */
  | { kind: "waiting"; wait: SlotWait }
  /** The client left, or the wait ran out (the key's slot is given back). */
  | Refusal & { kind: "refused" };

/** Takes the slots a request needs, waiting for them if need be. */
export async function lease(
  deps: LeaseDeps,
  request: {
    accounts: readonly Account[];
    key: KeyInfo;
    client: Request;
    /** The body asks for a stream (read once, `lib/protocols/body_fields.ts`). */
    stream: boolean;
    /** The key's slot, taken before its large body was read. */
    keySlot?: Slot;
  },
): Promise<Lease> {
  const { accounts, key, client, keySlot } = request;
  const limited = key.concurrency !== undefined ||
    accounts.some((account) => account.concurrency !== undefined);
  if (!limited) return { kind: "held" };
  const wait = new SlotWait(
    deps.slots,
    { accounts, key, signal: client.signal, keySlot },
    deps.queue,
  );
  const held = (held: Held): Lease => ({ kind: "held", held, release: () => wait.releaseKey() });
  // Wait quietly first; a streaming request that must wait longer gets keep-alives.
  const quietUntil = Math.min(wait.deadline, wait.started + deps.queue.keepAliveMs);
  const first = await wait.grab() ?? await waitQuietly(wait, quietUntil);
  if (first) return held(first);
  if (client.signal.aborted) {
    wait.releaseKey();
    return { kind: "refused", ...refusal(new HttpError(499, "client closed the request")) };
  }
  if (Date.now() < wait.deadline && request.stream) return { kind: "waiting", wait };
  const late = await waitQuietly(wait, wait.deadline);
  if (late) return held(late);
  wait.releaseKey();
  const error = new HttpError(429, wait.timedOut(), { headers: { "retry-after": "1" } });
  return { kind: "refused", ...refusal(error) };
}

/**
 * The key's slot, waited for quietly up to the queue timeout, before a large
 * body is read; a 429 when none frees in time (499 when the client left).
 */
export async function leaseKeyFirst(
  deps: LeaseDeps,
  key: { id: string; concurrency: number },
  signal: AbortSignal,
): Promise<{ ok: true; slot: Slot } | Refusal> {
  const deadline = Date.now() + deps.queue.timeoutMs;
  for (;;) {
    const slot = await deps.slots.tryAcquire("key", key.id, key.concurrency);
    if (slot) return { ok: true, slot };
    if (signal.aborted) return refusal(new HttpError(499, "client closed the request"));
    if (Date.now() >= deadline) break;
    await deps.slots.changed(Math.min(deps.queue.pollMs, deadline - Date.now()), signal);
  }
  const seconds = Math.ceil(deps.queue.timeoutMs / 1000);
  const message = `key "${key.id}" is at its concurrency limit (${key.concurrency}); ` +
    `waited ${seconds}s for a free slot before reading its body`;
  return refusal(new HttpError(429, message, { headers: { "retry-after": "1" } }), "limited");
}
