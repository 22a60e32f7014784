/**
 * What a gateway is built from ({@linkcode GatewayOptions}, with the
 * {@linkcode Tuning} tests shorten) and what a built one offers
 * ({@linkcode Gateway}). `lib/app.ts` builds it; start-up (`lib/boot.ts`) and
 * the tests fill the options.
 *
 * @module
 */

import type { Directory } from "../accounts/directory.ts";
import type { AccountStateStore } from "../accounts/health.ts";
import type { Config } from "../config/types.ts";
import type { KvReachability } from "../kv/reachability.ts";
import type { SlotLeases } from "../leases/slots.ts";
import type { LiveHub } from "../observe/live_hub.ts";
import type { RequestLogger } from "../observe/request_log.ts";
import type { OAuthTuning } from "../providers/credentials.ts";
import type { AdminTokenStore } from "../routes/admin/admin_token.ts";
import type { UsageRecorder } from "../usage/recorder.ts";

/** Timings the tests shorten. */
export interface Tuning extends OAuthTuning {
  /** How often a queued request looks for slots freed by other processes (default 200 ms). */
  queuePollMs?: number;
  /** Silence before a queued streaming request gets a keep-alive, and between them (default 5 s). */
  keepAliveMs?: number;
  /** How long a concurrency lease lives without renewal. */
  slotLeaseMs?: number;
  /** How often a process looks for due scheduled health checks (default 5 s). */
  healthCheckTickMs?: number;
  /** Waits between webhook delivery attempts (default 1 s, 5 s, 30 s). */
  alertRetryDelaysMs?: number[];
  /** How long one webhook delivery attempt may take (default 10 s). */
  alertAttemptTimeoutMs?: number;
  /** The clock budgets and their spend windows read (default `Date.now`). */
  now?: () => number;
  /** How long a call to a remote KV may take before the store counts as unreachable (default 2 s). */
  kvDeadlineMs?: number;
  /** How often a remote KV's watch stream is checked against a read (default 5 s; `watch_signal.ts`). */
  kvWatchHeartbeatMs?: number;
}

/** What a gateway is built from. */
export interface GatewayOptions {
  config: Config;
  kv: Deno.Kv;
  /** Admin API token; `undefined` (and no `adminTokens`) turns the admin API off. */
  adminToken?: string;
  /** The KV-stored admin token of a first run, used when `adminToken` is not given. */
  adminTokens?: AdminTokenStore;
  /** `SWITCHYARD_KV_DEADLINE_MS`: how long a remote KV call may take before the store counts as down. */
  kvDeadlineMs?: number;
  /** Path of a local KV file, which lets the hot path skip KV reads while nothing was written. */
  kvPath?: string;
  /** `SWITCHYARD_KV` as set (a KV Connect URL, say), to name the store in outage log lines. */
  kvLocation?: string;
  /** Where per-request log lines go; defaults to logtape (JSON lines once configured). */
  logger?: RequestLogger;
  /** Token that may read `/metrics` besides the admin token. */
  metricsToken?: string;
  /** `SWITCHYARD_SECRET`: encrypts refreshed OAuth tokens and account secrets stored through the API. */
  secret?: string;
  /** Timings, for tests. */
  tuning?: Tuning;
  /** Usage batch flush interval (default 1000 ms). */
  usageFlushMs?: number;
  /** One OpenTelemetry span per upstream attempt (start-up sets it from `OTEL_DENO=true`). */
  tracing?: boolean;
  /** `SWITCHYARD_ADMIN=loopback`: the admin API and the dashboard answer loopback peers only. */
  adminLoopbackOnly?: boolean;
}

/** A running gateway. */
export interface Gateway {
  /** Answers a request; `info` (`Deno.serve`'s) gives the peer's address, for the admin API. */
  fetch(request: Request, info?: { remoteAddr?: Deno.Addr }): Promise<Response>;
  /** Shared account health. */
  readonly states: AccountStateStore;
  /** Whether the KV answers (a remote KV's calls are bounded by a deadline). */
  readonly reach: KvReachability;
  /** Concurrency slots. */
  readonly slots: SlotLeases;
  /** Batched usage totals. */
  readonly usage: UsageRecorder;
  /** Live dashboard updates. */
  readonly live: LiveHub;
  /** Keys, accounts and groups (config seed + KV). */
  readonly directory: Directory;
  /** Waits for background KV writes (quota snapshots, slot releases, response owners, thinking signers). */
  settled(): Promise<void>;
  /** Closes open Responses WebSockets with 1001 (a turn in flight finishes first, for up to `ms`). */
  closeSockets(ms?: number): Promise<void>;
  /** Flushes batched usage, ends live dashboard streams and closes KV; call after the server has drained. */
  close(): Promise<void>;
}
