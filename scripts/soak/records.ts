/**
 * What the soak records: every arrival at the fault upstream, every client
 * request of the driver, and the orchestrator's own observations. The
 * invariant checks (`checks.ts`) are pure functions of these.
 *
 * @module
 */

import type { ExpectedEffect, FaultKind, Surface } from "./faults.ts";
import type { Tokens } from "./formats.ts";
import type { CostNotes } from "./money.ts";

/** One request as the fault upstream received and answered it. */
export interface Arrival {
  /** Arrival order at the upstream; also names the response (`r<seq>`). */
  seq: number;
  /** The driver's request id (`idempotency-key`), `""` when missing. */
  id: string;
  account: string;
  /** Epoch ms when the request head was read. */
  at: number;
  /** Requests its keep-alive connection carried before it (0: a fresh connection). */
  onConnection?: number;
  path: string;
  surface?: Surface;
  stream: boolean;
  includeUsage: boolean;
  /** The account's own credential, in the platform's header. */
  credentialOk: boolean;
  /** A client key or the admin token appeared in a request header. */
  clientSecretSeen: boolean;
  fault: FaultKind;
  status?: number;
  /** When the upstream gave the answer that should change the account's state. */
  signalAt?: number;
  effect?: ExpectedEffect;
  /** Content events planned and fully written (success streams and bodies). */
  plannedEvents?: number;
  sentEvents: number;
  /** The whole response was written. */
  completed: boolean;
  /**
   * The usage report (normalised), if the answer had one, set as the event or body that
   * carries it starts to go out (a stream cut after that may still be charged for it).
   */
  usage?: Tokens;
  /** Anthropic `message_start` usage, for a stream cut after it. */
  startUsage?: Tokens;
  endedAt?: number;
  /** The gateway went away before the answer was complete. */
  peerGone?: boolean;
  /** A WebSocket turn's: its connection (named in the turn's prompt, `<session>-t<k>`). */
  session?: string;
  /** A WebSocket turn's: the conversation its request carried (see `conversationIn`). */
  history?: { turns: string[]; responses: string[] };
}

/** How the driver's request went. */
export interface ClientRecord {
  id: string;
  n: number;
  key: string;
  surface: Surface;
  stream: boolean;
  includeUsage: boolean;
  gateway: number;
  incarnation: number;
  sentAt: number;
  headersAt?: number;
  endedAt: number;
  status?: number;
  /** `x-switchyard-account`. */
  account?: string;
  /** The response was the gateway's queued event stream (`x-switchyard-queued`). */
  queued: boolean;
  /** Network error, read error or timeout, if the exchange broke. */
  failure?: string;
  timedOut: boolean;
  /** What the body showed (see `stream_check.ts`). */
  body: BodyVerdict;
  /** The start of an error body, for reports. */
  excerpt?: string;
  /** The whole body (up to 64 KiB) when it showed a problem, for a closer look. */
  raw?: string;
  /** A turn of a Responses WebSocket session (`sockets.ts`); absent for HTTP requests. */
  socket?: SocketTurn;
}

/** What a WebSocket turn adds to its record. */
export interface SocketTurn {
  session: string;
  /** 0-based, in the session (a warm-up counts). */
  turn: number;
  /** Codex's warm-up (`generate: false`), answered by the gateway itself. */
  warmup: boolean;
  /** The turns and responses its `previous_response_id` stands for, in order. */
  chain: { turns: string[]; responses: string[] };
  /** The client closed the connection mid-turn, on purpose. */
  closedByClient: boolean;
}

/** What a client body showed. */
export interface BodyVerdict {
  /** The one upstream response the body came from (`r<seq>`), if any marker was seen. */
  marker?: string;
  /** Content events seen, in order. */
  contentEvents: number;
  /** The format's terminal event (or a whole JSON body) arrived. */
  terminal: boolean;
  /** An error event arrived (the gateway's or the upstream's). */
  errorEvent: boolean;
  /** A usage report the client saw (chat with include_usage, JSON, Responses, Messages). */
  usageSeen: boolean;
  /** Splices, gaps, events after the end, unparsable data... */
  problems: string[];
}

/** The orchestrator's notes on the run. */
export interface RunNotes {
  startedAt: number;
  loadEndedAt: number;
  killedAt?: number;
  restartedAt?: number;
  killedGateway: number;
  /** Admin resets of disabled accounts: sent at `from`, answered at `to`. */
  resets: { account: string; from: number; to: number }[];
  health: { checks: number; failures: string[]; probes: HealthProbe[] };
  /** Processes that exited without being asked to, or did not exit cleanly when asked. */
  processProblems: string[];
  /** Error lines on the gateways' stderr. */
  stderrLines: string[];
  /** Requests the upstream closed unread as it closed their connection for idleness. */
  raced: number;
  /** The gateways' request log lines, each prefixed with the process's start order. */
  logs: string[];
  memory: { name: string; samplesKiB: number[] }[];
  /** Places a secret was found: responses, log lines, admin answers. */
  secretFindings: string[];
  /** Usage totals read back after a clean shutdown. */
  usageByKey: UsageTotals[];
  usageByAccount: UsageTotals[];
  /** Cost read back with the usage (`money.ts`). */
  cost?: CostNotes;
  /** The store the gateways shared, and the KV faults thrown at it. */
  kv: KvNotes;
}

/** What the report says of the store (`kv.ts`). */
export interface KvNotes {
  kind: "file" | "remote" | "server";
  /** The KV Connect URL without credentials (`""` for a file). */
  url: string;
  /** The faults thrown, with when each was switched on and off (epoch ms). */
  faults: { what: "503 burst" | "expired token" | "outage"; from: number; to: number }[];
  /** The test server's counters at the end (`GET /_faults`), own server only. */
  serverStats?: Record<string, number>;
}

/** One `/healthz` probe during or right after a KV fault (`kv_checks.ts`). */
export interface HealthProbe {
  gateway: number;
  at: number;
  /** Answered 200 within the probe's timeout. */
  answered: boolean;
  /** The body's `status`, and whether it said the KV is unreachable. */
  status?: string;
  kvUnreachable: boolean;
}

/** One row of `GET /admin/usage`. */
export interface UsageTotals {
  id: string;
  input: number;
  output: number;
  cached: number;
  requests: number;
}

/** Notes with nothing observed yet. */
export function emptyNotes(killedGateway: number): RunNotes {
  return {
    startedAt: 0,
    loadEndedAt: 0,
    killedGateway,
    resets: [],
    health: { checks: 0, failures: [], probes: [] },
    processProblems: [],
    stderrLines: [],
    raced: 0,
    logs: [],
    memory: [],
    secretFindings: [],
    usageByKey: [],
    usageByAccount: [],
    kv: { kind: "file", url: "", faults: [] },
  };
}
