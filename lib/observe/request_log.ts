/**
 * One structured log line per API request, written when the request is
 * completely done (its body fully sent or broken off), so it can carry the
 * tokens. It says who asked (the key id), which accounts were tried with what
 * outcome, the final status, the latency, the tokens and their cost. Only ids and numbers
 * go in; never keys, tokens or bodies.
 *
 * Lines go through `@logtape/logtape` (category `switchyard.request`); the
 * entry point sets up JSON lines on stdout (see `lib/log.ts`).
 *
 * @module
 */

import { infoLogger } from "../log.ts";
import type { TokenUsage } from "../protocols/usage.ts";

/** One upstream attempt as the log shows it. */
export interface LoggedAttempt {
  account: string;
  /**
   * `success`, `failover`, `passback`, `unreachable`, `dropped` (a 200 that broke off before the
   * client saw it), `stale-connection` (tried again on a fresh connection), `client-gone`, `full`, ...
   */
  outcome: string;
  status?: number;
  /** Why an `unreachable` attempt got no answer (`connection refused`, `proxy unreachable (…)`); secret-free. */
  detail?: string;
  /** What the answer did to the account: `cooldown:<reason>` or `disable`. */
  effect?: string;
  /** The error rule that decided, by name. */
  rule?: string;
  /** When the attempt started (epoch ms) and how long until headers or failure. */
  startedAt?: number;
  ms?: number;
  /** The attempt was a disabled account's half-open probe. */
  probe?: true;
}

/** The facts logged for one request. */
export interface RequestLogEntry {
  /** The client key id; `null` when the key was missing or unknown. */
  key: string | null;
  method: string;
  path: string;
  status: number;
  attempts: LoggedAttempt[];
  /** Total latency, until the last body byte (or the break). */
  ms: number;
  surface?: string;
  /** `success`, `passback`, `exhausted`, `cooling`, `unavailable`, `unauthorized`, `limited`, ... */
  outcome?: string;
  /** Time to the first body byte sent to the client. */
  ttfbMs?: number;
  /** The model the upstream reports using. */
  model?: string;
  /** The model the client asked for, when model routing gave the upstream another name. */
  requestedModel?: string;
  tokens?: TokenUsage;
  /** The request's cost in USD at the price in force (whole micro-dollars, as usage rows); 0 when unpriced. */
  costUsd?: number;
  /** Whether the body was `complete`, `aborted` by the client, or broken off by an `error`. */
  end?: string;
  /** `websocket` for a turn of a Responses WebSocket; absent for plain HTTP. */
  transport?: string;
}

/** Receives one entry per request. */
export type RequestLogger = (entry: RequestLogEntry) => void;

/** Logs through logtape (category `switchyard.request`); `enabled = false` silences request lines. */
export function requestLogger(enabled = true): RequestLogger {
  if (!enabled) return () => {};
  const info = infoLogger("request");
  // The entry is built for this line alone and formatted at once: no copy.
  return (entry) => info("request", entry as unknown as Record<string, unknown>);
}
