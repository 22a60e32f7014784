/**
 * One structured log line per API request, written when the request is
 * completely done (its body fully sent or broken off), so it can carry the
 * tokens. It says who asked (the key id), which accounts were tried with what
 * outcome, the final status, the latency and the tokens. Only ids and numbers
 * go in; never keys, tokens or bodies.
 *
 * Lines go through `@logtape/logtape` (category `switchyard.request`); the
 * entry point sets up JSON lines on stdout (see `lib/log.ts`).
 *
 * @module
 */

import { infoLogger } from "../log.ts";
import type { AttemptRecord } from "../failover/proxy.ts";
import type { TokenUsage } from "../usage/extract.ts";

/** The facts logged for one request. */
export interface RequestLogEntry {
  /** The client key id; `null` when the key was missing or unknown. */
  key: string | null;
  method: string;
  path: string;
  status: number;
  attempts: AttemptRecord[];
  /** Total latency, until the last body byte (or the break). */
  ms: number;
  surface?: string;
  /** `success`, `passback`, `exhausted`, `cooling`, `unavailable`, `unauthorized`, `limited`, ... */
  outcome?: string;
  /** Time to the first body byte sent to the client. */
  ttfbMs?: number;
  model?: string;
  tokens?: TokenUsage;
  /** Whether the body was `complete`, `aborted` by the client, or broken off by an `error`. */
  end?: string;
}

/** Receives one entry per request. */
export type RequestLogger = (entry: RequestLogEntry) => void;

/** Logs through logtape (category `switchyard.request`); `enabled = false` silences request lines. */
export function requestLogger(enabled = true): RequestLogger {
  if (!enabled) return () => {};
  const info = infoLogger("request");
  return (entry) => info("request", { ...entry });
}
