/**
 * The faults the soak's upstream injects, which accounts may get which, and
 * the account state each one must leave behind (the cooldown it announces),
 * as the README's failover table describes it. Pure.
 *
 * @module
 */

import type { CooldownSeconds } from "../../lib/config/types.ts";
import { type Rng, rngFor } from "./rng.ts";

/** What an upstream attempt gets. `ok` is a plain success. */
export type FaultKind =
  | "ok"
  | "usage403-reset"
  | "usage403-noreset"
  | "plain403"
  | "html403"
  | "429-retry-after"
  | "429-body-reset"
  | "529"
  | "500"
  | "502"
  | "503"
  | "401"
  | "402"
  | "big-error"
  | "reset"
  | "close-before-answer"
  | "hang"
  | "drop-after-content"
  | "drop-before-content"
  | "error-before-content"
  | "slow";

/** Every fault a standard (non-passthrough) account may get. */
export const STANDARD_FAULTS: readonly FaultKind[] = [
  "usage403-reset",
  "usage403-noreset",
  "plain403",
  "html403",
  "429-retry-after",
  "429-body-reset",
  "529",
  "500",
  "502",
  "503",
  "401",
  "402",
  "big-error",
  "reset",
  "close-before-answer",
  "hang",
  "drop-after-content",
  "drop-before-content",
  "error-before-content",
  "slow",
];

/**
 * Passthrough accounts fail over only on 403, 429 and 529 (and connection
 * failures); any other error would be passed back to the client by design, so
 * they never get one.
 */
export const PASSTHROUGH_FAULTS: readonly FaultKind[] = STANDARD_FAULTS.filter((kind) =>
  !["500", "502", "503", "401", "402"].includes(kind)
);

/** The API a request speaks. */
export type Surface = "chat" | "responses" | "messages";

/** Cooldown lengths (seconds) of the soak's gateway config. */
export type { CooldownSeconds };

/** An account's fault profile: how often it fails, and with what. */
export interface FaultProfile {
  failRate: number;
  weights: [FaultKind, number][];
}

/** Draws a random profile over `allowed`: every fault possible, some much likelier. */
export function drawProfile(rng: Rng, allowed: readonly FaultKind[]): FaultProfile {
  const failRate = 0.15 + rng.next() * 0.45;
  const weights = allowed.map((kind): [FaultKind, number] => {
    const weight = 0.2 + rng.next() ** 2 * 4;
    // Faults that cool two accounts of one request end it by design (blast radius), and
    // disabling ones end the account until the soak's operator resets it: keep them rare.
    const rare = ["plain403", "html403", "500", "401", "402"].includes(kind);
    return [kind, rare ? weight / 4 : weight];
  });
  return { failRate, weights };
}

/**
 * The fault for the `nth` (0-based) arrival of request `id` at `account`: a
 * pure function of the seed and those names, so replays match.
 */
export function drawFault(
  seed: number,
  account: string,
  profile: FaultProfile | null,
  id: string,
  nth: number,
): FaultKind {
  if (profile === null) return "ok";
  const rng = rngFor(seed, "fault", account, id, nth);
  if (!rng.chance(profile.failRate)) return "ok";
  return rng.weighted(profile.weights);
}

/**
 * The fault as it applies to this request: faults that need a stream of a
 * kind that has preamble events fall back to one that exists for it.
 */
export function applicableFault(kind: FaultKind, surface: Surface, stream: boolean): FaultKind {
  const preamble = stream && surface !== "chat";
  if (kind === "drop-before-content" && !preamble) return "reset";
  if (kind === "error-before-content" && !preamble) return "529";
  return kind;
}

/** What an answer must do to the account, per the README's failover table. */
export type ExpectedEffect =
  /** Cooling until at least `until` (epoch ms). */
  | { kind: "cooldown"; reason: string; until: number; blast?: string }
  | { kind: "disable"; blast?: string };

/**
 * The blast-radius kind of an answer (README: one request cools at most two
 * accounts for errors that are not quota or rate-limit signals, and the same
 * such error from two accounts is returned at once).
 */
export function blastKindOf(kind: FaultKind): string | undefined {
  switch (kind) {
    case "plain403":
      return "403";
    case "html403":
      return "403/html";
    case "500":
    case "401":
    case "402":
      return kind;
    default:
      return undefined;
  }
}

/** The least cooldown an answer announces; `at` is when the upstream gave it. */
export function cooldownFor(
  kind: FaultKind,
  at: number,
  seconds: CooldownSeconds,
  announcedUntil?: number,
): ExpectedEffect | undefined {
  const rest = (reason: string, secs: number): ExpectedEffect => ({
    kind: "cooldown",
    reason,
    until: at + secs * 1000,
    ...(blastKindOf(kind) ? { blast: blastKindOf(kind) } : {}),
  });
  switch (kind) {
    case "usage403-reset":
    case "429-retry-after":
    case "429-body-reset":
      return { kind: "cooldown", reason: "announced", until: announcedUntil ?? at };
    case "usage403-noreset":
    case "plain403":
    case "html403":
      return rest("forbidden", seconds.forbidden);
    case "529":
      return rest("overloaded", seconds.overloaded);
    case "500":
    case "502":
    case "503":
      return rest("serverError", seconds.serverError);
    case "401":
    case "402":
      return { kind: "disable", blast: kind };
    case "reset":
    case "close-before-answer":
    case "hang":
    case "drop-before-content":
      return rest("unreachable", seconds.unreachable);
    default:
      return undefined;
  }
}
