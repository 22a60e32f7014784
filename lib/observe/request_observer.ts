/**
 * What happens around a finished API request, off the forwarding path:
 * failovers are logged (shared, for the dashboard) and counted; the relayed
 * body is wrapped in the usage tap; and when the body is done, the request is
 * counted in the metrics, its tokens go to the usage batch, and one log line
 * is written. Success bodies are observed through a pass-through transform,
 * never teed or buffered.
 *
 * @module
 */

import { ACCOUNT_HEADER, type AttemptRecord } from "../failover/proxy.ts";
import type { Surface } from "../http/errors.ts";
import type { LiveHub } from "../dashboard/live.ts";
import { QUEUED_HEADER } from "../pool/pool.ts";
import type { GatewayMetrics } from "../metrics/metrics.ts";
import type { TokenUsage } from "../usage/extract.ts";
import type { UsageRecorder } from "../usage/recorder.ts";
import { type BodyEnd, tapBody, type TapResult } from "../usage/tap.ts";
import type { FailoverEvent, FailoverLog } from "./failover_log.ts";
import type { MinuteSeries } from "./minute_series.ts";
import type { RequestLogger } from "./request_log.ts";

/** A request whose response is ready. */
export interface FinishedRequest {
  request: Request;
  path: string;
  /** `performance.now()` when the request arrived. */
  started: number;
  surface: Surface;
  /** The client key id; `null` when it was missing or unknown. */
  key: string | null;
  response: Response;
  attempts: AttemptRecord[];
  /** Set for answers the gateway made itself: `unauthorized`, `limited`, `cooling`, ... */
  outcome?: string;
  /** The gateway added `stream_options.include_usage` for standard accounts. */
  injectedUsage?: boolean;
  /** Hears the id of a stored response in a success body (see `lib/usage/tap.ts`). */
  onResponseId?(id: string): void;
}

/** What the observer reports to. */
export interface ObserverSinks {
  metrics: GatewayMetrics;
  usage: UsageRecorder;
  failovers: FailoverLog;
  live: LiveHub;
  log: RequestLogger;
  /** Per-minute totals for the dashboard's charts. */
  series?: MinuteSeries;
  /** Whether an account is in passthrough mode (its body went unchanged). */
  isPassthrough(accountId: string): boolean;
}

/** Observes finished requests. */
export class RequestObserver {
  constructor(private readonly sinks: ObserverSinks) {}

  /** Records the attempts and returns the response to send, its body tapped. */
  async observe(done: FinishedRequest): Promise<Response> {
    const { metrics, live } = this.sinks;
    for (const attempt of done.attempts) {
      if (attempt.ms !== undefined) {
        metrics.upstreamLatency.observe({ account: attempt.account }, attempt.ms / 1000);
      }
    }
    const failovers = failoverEvents(done);
    for (const event of failovers) metrics.failovers.inc({ reason: event.reason });
    this.sinks.series?.failovers(failovers.length);
    if (failovers.length > 0) {
      // Awaited, so nothing is left running after the response: failovers are rare.
      await this.sinks.failovers.record(failovers).catch(reportError);
    }
    if (done.attempts.some((attempt) => attempt.effect !== undefined)) live.poke();

    const { response } = done;
    const named = response.headers.get(ACCOUNT_HEADER);
    // A queued stream answers before any account is chosen: its attempts name the one that serves.
    const queued = named === null && response.headers.get(QUEUED_HEADER) === "true";
    if ((!named && !queued) || response.body === null) {
      const ms = performance.now() - done.started;
      this.#finish(done, named, ms, { deltas: 0, end: "complete", bytes: 0 });
      return response;
    }
    const account = () => named ?? servingAccount(done.attempts);
    const asked = (id: string | null) => id !== null && !this.sinks.isPassthrough(id);
    let ttfb: number | undefined;
    const body = tapBody(response.body, {
      surface: done.surface,
      contentType: response.headers.get("content-type") ?? "",
      scanUsage: response.status < 400,
      stripUsageChunk: done.injectedUsage === true &&
        (queued ? () => asked(account()) : asked(named)),
      clientSignal: done.request.signal,
      onFirstByte: () => {
        ttfb = performance.now() - done.started;
      },
      onEnd: (result) => this.#finish(done, account(), ttfb, result),
      onResponseId: done.onResponseId,
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  #finish(
    done: FinishedRequest,
    account: string | null,
    ttfbMs: number | undefined,
    result: TapResult,
  ): void {
    const { metrics, usage, log } = this.sinks;
    const ms = performance.now() - done.started;
    const status = done.response.status;
    const outcome = done.outcome ?? outcomeOf(done.attempts, result.end);
    metrics.requests.inc({ surface: done.surface, status: String(status), outcome });
    if (ttfbMs !== undefined) metrics.ttfb.observe({ surface: done.surface }, ttfbMs / 1000);

    let tokens: TokenUsage | undefined = result.usage;
    if (!tokens && result.deltas > 0) {
      // The stream ended before its usage report: count what was streamed.
      tokens = { input: 0, output: result.deltas, cached: 0 };
    }
    this.sinks.series?.request({
      status,
      ttfbMs,
      account,
      tokens: tokens ? tokens.input + tokens.output : 0,
    });
    if (tokens && done.key && account) {
      usage.record({
        key: done.key,
        account,
        model: result.model ?? "unknown",
        tokens,
        at: Date.now(),
      });
      metrics.tokens.inc({ key: done.key, type: "input" }, tokens.input);
      metrics.tokens.inc({ key: done.key, type: "output" }, tokens.output);
      metrics.tokens.inc({ key: done.key, type: "cached" }, tokens.cached);
    }
    this.sinks.live.nudge(); // the charts and usage move; open dashboards get a snapshot soon
    log({
      key: done.key,
      method: done.request.method,
      path: done.path,
      status,
      attempts: done.attempts,
      ms: round(ms),
      surface: done.surface,
      outcome,
      ...(ttfbMs !== undefined ? { ttfbMs: round(ttfbMs) } : {}),
      ...(result.model ? { model: result.model } : {}),
      ...(tokens ? { tokens } : {}),
      ...(account ? { end: result.end } : {}),
    });
  }
}

/** The account whose answer was relayed as a success, if one was. */
function servingAccount(attempts: readonly AttemptRecord[]): string | null {
  return attempts.findLast((attempt) => attempt.outcome === "success")?.account ?? null;
}

/** Attempts that moved a request on, an error event before any content included. */
const FAILOVER_OUTCOMES = new Set(["failover", "unreachable", "preamble-failover"]);

function failoverEvents(done: FinishedRequest): FailoverEvent[] {
  const events: FailoverEvent[] = [];
  for (const attempt of done.attempts) {
    if (!FAILOVER_OUTCOMES.has(attempt.outcome)) continue;
    events.push({
      at: new Date(attempt.startedAt ?? Date.now()).toISOString(),
      account: attempt.account,
      reason: reasonOf(attempt),
      ...(attempt.status !== undefined ? { status: attempt.status } : {}),
      ...(attempt.rule !== undefined ? { rule: attempt.rule } : {}),
      key: done.key ?? "",
    });
  }
  return events;
}

function reasonOf(attempt: AttemptRecord): string {
  if (attempt.effect?.startsWith("cooldown:")) return attempt.effect.slice("cooldown:".length);
  if (attempt.effect === "disable") return "disabled";
  if (attempt.outcome === "unreachable") return "unreachable";
  if (attempt.rule !== undefined) return "rule";
  return attempt.status !== undefined ? `status_${attempt.status}` : "other";
}

function outcomeOf(attempts: readonly AttemptRecord[], end: BodyEnd): string {
  const last = attempts.at(-1);
  if (!last) return "unknown";
  if (end === "aborted") return "aborted";
  if (end === "error") return "broken";
  switch (last.outcome) {
    case "success":
    case "passback":
      return last.outcome;
    case "client-gone":
      return "client_gone";
    default:
      return "exhausted";
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function reportError(error: unknown): void {
  console.error(
    JSON.stringify({ level: "error", msg: "failover log write failed", error: String(error) }),
  );
}
