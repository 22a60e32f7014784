/**
 * The account model's shared types: what an upstream answer does to an
 * account ({@linkcode AccountEffect}), why an account rests
 * ({@linkcode CooldownReason}) and the quota windows upstreams report
 * ({@linkcode QuotaWindow}). The classifier produces effects, the health
 * store applies them, probes judge them, OAuth refreshes return them; they
 * live here so that none of those layers has to import another for a type.
 *
 * The account itself (`Account`, `Group`, `ClientKey`) is configuration and
 * lives in `lib/config/types.ts`.
 *
 * @module
 */

/** Why an account is cooling down. Doubles as the failover reason in logs and metrics. */
export type CooldownReason =
  | "forbidden"
  | "quota"
  | "rateLimited"
  | "overloaded"
  | "serverError"
  | "unreachable"
  /** The account does not serve the request's model (always model-scoped). */
  | "modelUnavailable"
  /** An operator's error rule said so. */
  | "rule";

/** What an upstream answer does to the account that gave it. */
export type AccountEffect =
  /** A success: consecutive-403 strikes start over. */
  | { kind: "healthy" }
  /** Nothing changes (a 400, a 404, ...). */
  | { kind: "none" }
  /**
   * Rest until `until` (epoch ms). `strike` counts toward disabling (a 403 without reset
   * information). With `model`, only that (account, model) pair rests (`lib/failover/model_scope.ts`).
   */
  | { kind: "cooldown"; reason: CooldownReason; until: number; strike: boolean; model?: string }
  /**
   * The account stops serving. `temporary` reasons get half-open probes
   * (`failover.probeSeconds`); without it only an admin brings the account back.
   */
  | {
    kind: "disable";
    reason: string;
    temporary?: boolean;
    /** The credential is gone (an OAuth refresh was refused): someone must sign in again. */
    reauth?: boolean;
  };

/** One quota window as an upstream reports it. */
export interface QuotaWindow {
  /** e.g. `codex-primary`, `codex-secondary`, `anthropic-5h`, `anthropic-unified`. */
  name: string;
  /** Percent used, 0-100, when the upstream says. */
  usedPercent?: number;
  /** When the window resets, epoch ms. */
  resetAt?: number;
  /** The window is used up: requests fail until `resetAt`. */
  exhausted: boolean;
}
