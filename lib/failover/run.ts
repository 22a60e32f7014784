/**
 * One request's pass through the failover loop: what it has tried so far,
 * the attempts and effects it records, its blast radius, and the slot the
 * lease stage handed it. The loop (`loop.ts`) and its steps share this one
 * object instead of a dozen loose variables.
 *
 * @module
 */

import type { AccountEffect } from "../accounts/model.ts";
import type { Account } from "../config/types.ts";
import type { Slot } from "../leases/slots.ts";
import { logFailure } from "../log.ts";
import { BlastRadius } from "./blast_radius.ts";
import type { Verdict } from "./classify.ts";
import type { CompiledErrorRule } from "./error_rules.ts";
import type { FailoverPorts } from "./ports.ts";
import type {
  AppliedEffect,
  Attempt,
  AttemptEffect,
  AttemptOutcome,
  FailoverJob,
  Prepared,
  Translation,
} from "./result.ts";

/** An error answer kept (as its classified prefix) in case no later account can be tried. */
export interface BufferedError {
  upstream: Response;
  text: string;
  account: Account;
  rule?: CompiledErrorRule;
  /** How the account's answers reach the client, when translated. */
  translation?: Translation;
}

/** When an attempt started and how long it took to answer. */
export interface AttemptTiming {
  startedAt: number;
  ms: number;
}

/** A probe's errors are neither counted nor final. */
export const PROBE_DECISION = { apply: true, stop: false };

/** The state of one request in the loop. */
export class FailoverRun {
  readonly attempts: Attempt[] = [];
  readonly effects: AppliedEffect[] = [];
  readonly blast = new BlastRadius();
  /** Accounts tried so far (a full account is skipped, not tried). */
  tried = 0;
  /** Most accounts to try: `1 + maxSwitches`, plus one for a probe. */
  limit: number;
  /** Why the last attempt got no answer, when it got none. */
  lastUnreachable = "";
  /** The last error answer, when it moved on. */
  lastError: BufferedError | undefined;
  /** Why the request could not be put in some account's API, when none was tried. */
  refused: Extract<Prepared, { ok: false }> | undefined;
  #leased: FailoverJob["leased"];
  /** Account state writes still under way (they never reject: failures are logged). */
  readonly #writes: Promise<void>[] = [];

  constructor(readonly ports: FailoverPorts, readonly job: FailoverJob) {
    this.limit = 1 + ports.policy.maxSwitches;
    this.#leased = job.leased;
  }

  /** The request as `account` gets it; a refusal is kept for the answer if nothing is tried. */
  prepare(account: Account): Prepared {
    const { job } = this;
    const prepared: Prepared = job.prepare?.(account) ??
      { ok: true, body: job.body, upstreamPath: job.upstreamPath };
    if (!prepared.ok) this.refused ??= prepared;
    return prepared;
  }

  /** Is this account the request's claimed probe? */
  probing(account: Account): boolean {
    return account.id === this.job.probe?.accountId;
  }

  /** The account's slot: the one the lease stage holds for it, or a new one. */
  async slotFor(account: Account): Promise<Slot | null | undefined> {
    const leased = this.#leased;
    if (leased?.account === account) {
      this.#leased = undefined;
      if (leased.slot) return leased.slot;
    }
    return await this.ports.slots.acquire(account);
  }

  /** Gives back a leased slot the loop never used. */
  releaseUnusedLease(): void {
    void this.#leased?.slot?.release();
    this.#leased = undefined;
  }

  /** Notes an attempt that changed nothing about the account. */
  note(attempt: Attempt): void {
    this.attempts.push(attempt);
  }

  /**
   * Records an attempt with its verdict and starts applying the verdict's
   * effect to the account. The write goes on while the loop tries the next
   * account; {@linkcode written} waits for it before the answer goes out.
   */
  record(
    account: Account,
    verdict: Verdict,
    outcome: AttemptOutcome,
    status?: number,
    timing?: AttemptTiming,
    detail?: string,
  ): void {
    this.attempts.push({
      account: account.id,
      outcome,
      status,
      ...(detail ? { detail } : {}),
      effect: shownEffect(verdict.effect),
      ...(verdict.rule ? { rule: verdict.rule.name } : {}),
      ...timing,
      ...(this.probing(account) ? { probe: true as const } : {}),
    });
    this.#writes.push(this.settle(account, verdict.effect));
  }

  /**
   * Waits for the account state writes of {@linkcode record}: once the client
   * has its answer, its next request, on any process, sees every account's new state.
   */
  async written(): Promise<void> {
    await Promise.all(this.#writes.splice(0));
  }

  /** Applies an answer's effect to the account, or settles the probe when the attempt was one. */
  settle(account: Account, effect: AccountEffect): Promise<void> {
    this.effects.push({ account: account.id, effect });
    const probe = this.job.probe;
    const write = probe && probe.accountId === account.id
      ? this.ports.health.settleProbe(account.id, probe.claim, effect)
      : this.ports.health.apply(account.id, effect);
    return write.catch(reportStateError);
  }
}

/** The effects worth naming in an attempt: the ones that rest or stop an account. */
function shownEffect(effect: AccountEffect): AttemptEffect | undefined {
  return effect.kind === "cooldown" || effect.kind === "disable" ? effect : undefined;
}

const reportStateError = logFailure("account state write failed");
