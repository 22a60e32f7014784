/**
 * Default values for every optional configuration field. One source of truth:
 * validation, the README and the admin API all read these.
 *
 * @module
 */

import type { FailoverPolicy } from "./types.ts";

/** The failover policy used where the config is silent, field by field. */
export const DEFAULT_FAILOVER: Readonly<FailoverPolicy> = Object.freeze({
  maxSwitches: 3,
  headersTimeoutSeconds: 600,
  forbiddenStrikes: 3,
  cooldownSeconds: Object.freeze({
    forbidden: 600,
    rateLimited: 60,
    overloaded: 30,
    serverError: 30,
    unreachable: 30,
  }),
  passthroughStatuses: Object.freeze([403, 429, 529]) as number[],
  standardStatuses: Object.freeze([401, 402, 403, 429, 500, 502, 503, 504, 529]) as number[],
});

/** Wait before the first half-open probe of a temporarily disabled account (`failover.probeSeconds`). */
export const DEFAULT_PROBE_SECONDS = 300;

/** Longest wait between two probes of one account: failed probes double the wait up to this. */
export const MAX_PROBE_SECONDS = 86_400;

/** Largest request body accepted, in bytes (32 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** Default account priority: after every account that sets one lower. */
export const DEFAULT_PRIORITY = 100;

/** Responses WebSocket limits (`websocket`), field by field. */
export const DEFAULT_WEBSOCKET = Object.freeze({
  /** Largest client message (a turn's request body): as `maxRequestBytes` unless set. */
  maxMessageBytes: undefined as number | undefined,
  /** One connection's lifetime, as OpenAI's own (60 minutes). */
  maxConnectionSeconds: 3600,
  /** A connection with no turn for this long is closed. */
  idleSeconds: 600,
  /** Pings on a quiet connection, this far apart; a missed pong closes it. */
  pingSeconds: 30,
});
