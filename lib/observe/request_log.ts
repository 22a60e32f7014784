/**
 * One structured log line per API request: who asked, which accounts were
 * tried with what outcome, the final status and the latency. Only ids and
 * numbers go in; never keys, tokens or bodies.
 *
 * @module
 */

import type { AttemptRecord } from "../failover/proxy.ts";

/** The facts logged for one request. */
export interface RequestLogEntry {
  key: string;
  method: string;
  path: string;
  status: number;
  attempts: AttemptRecord[];
  ms: number;
}

/** Receives one entry per request. */
export type RequestLogger = (entry: RequestLogEntry) => void;

/** JSON lines on stdout; `SWITCHYARD_LOG=off` silences them. */
export function requestLogger(enabled = Deno.env.get("SWITCHYARD_LOG") !== "off"): RequestLogger {
  if (!enabled) return () => {};
  return (entry) =>
    console.log(JSON.stringify({ time: new Date().toISOString(), msg: "request", ...entry }));
}
