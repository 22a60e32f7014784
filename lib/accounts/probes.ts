/**
 * Half-open probes of disabled accounts, as pure decisions. An account
 * disabled for a reason that may pass (`temporary`) may take one real
 * request once its probe is due; {@linkcode probeVerdict} says what that
 * request's answer does to it, {@linkcode nextProbeWait} how long the next
 * wait is after a failure. The KV side lives in `health.ts`.
 *
 * @module
 */

import { MAX_PROBE_SECONDS } from "../config/defaults.ts";
import type { AccountEffect } from "./model.ts";

/** A disabled account's record in KV. */
export interface DisabledRecord {
  reason: string;
  /** When it was disabled, epoch ms. */
  since: number;
  /** The reason may pass: the account gets half-open probes. */
  temporary?: boolean;
  /** When the next probe may run, epoch ms; `since` + the configured wait until a probe ran. */
  probeAt?: number;
  /** The current wait between probes; the configured wait until a probe failed. */
  probeWaitMs?: number;
  /** The probe in flight: set by the process that claimed it, checked when it settles. */
  probeClaim?: string;
}

/** What a probe's answer does to the disabled account. */
export type ProbeVerdict =
  /** It served (or answered only about one model): back to active, strikes cleared. */
  | "restore"
  /** It failed again: disabled, the wait doubled (up to a day). */
  | "fail"
  /** Its credential is dead for good: disabled without probes. */
  | "permanent"
  /** The answer says nothing about the account (a 400): nothing changes. */
  | "inconclusive";

/** Judges a probe by the effect its answer has (`lib/failover/classify.ts`). */
export function probeVerdict(effect: AccountEffect): ProbeVerdict {
  switch (effect.kind) {
    case "healthy":
      return "restore";
    case "none":
      return "inconclusive";
    case "disable":
      return effect.temporary ? "fail" : "permanent";
    case "cooldown":
      // A model-scoped limit is an answer about the model: the account itself works.
      return effect.model !== undefined ? "restore" : "fail";
  }
}

/** The wait after a failed probe: double the last, at most a day. */
export function nextProbeWait(waitMs: number): number {
  return Math.min(Math.max(1, waitMs) * 2, MAX_PROBE_SECONDS * 1000);
}

/**
 * When a disabled account's next probe may run (epoch ms), or `undefined`
 * when it gets none: a permanent reason, or probes off (`probeMs` 0). A
 * cooldown still running holds the probe back.
 */
export function nextProbeAt(
  record: DisabledRecord | undefined,
  cooldownUntil: number,
  probeMs: number,
): number | undefined {
  if (!record?.temporary || probeMs <= 0) return undefined;
  return Math.max(record.probeAt ?? record.since + probeMs, cooldownUntil);
}
