/**
 * Stage 6, relay: what happens around an answer on its way to the client,
 * off the forwarding path. Failovers are logged (shared, for the dashboard)
 * and counted; the body is wrapped in the usage tap (`lib/usage/tap.ts`); and
 * when the body is done, the request is counted in the metrics, its tokens go
 * to the usage batch, the key's concurrency slot is given back, and one log
 * line is written. Success bodies are observed through the one pass-through
 * stream, never teed or buffered.
 *
 * @module
 */

import type { Attempt, FailoverResult, Translation } from "../failover/result.ts";
import type { Surface } from "../http/errors.ts";
import { observeStream, onResponseEnd } from "../http/observed_stream.ts";
import { logFailure } from "../log.ts";
import type { FailoverLog } from "../observe/failover_log.ts";
import type { LiveHub } from "../observe/live_hub.ts";
import type { MinuteSeries } from "../observe/minute_series.ts";
import type { GatewayMetrics } from "../observe/metrics.ts";
import type { RequestLogEntry, RequestLogger } from "../observe/request_log.ts";
import type { Api } from "../protocols/translate/ir.ts";
import { StreamTranslator } from "../protocols/translate/translate.ts";
import type { TokenUsage } from "../protocols/usage.ts";
import { usdOf } from "../usage/cost.ts";
import type { CostMeter } from "../usage/cost_meter.ts";
import type { UsageRecorder } from "../usage/recorder.ts";
import { tapBody, type TapResult, wholeUsage } from "../usage/tap.ts";
import {
  failoverEvents,
  loggedAttempt,
  outcomeOf,
  servingAccount,
  usageModel,
} from "./relay_outcome.ts";
import { transportOf } from "./socket/turns.ts";

/** An answer ready for the client, with what the stages before learned. */
export interface Delivery {
  request: Request;
  path: string;
  /** `performance.now()` when the request arrived. */
  started: number;
  surface: Surface;
  /** The client key id; `null` when it was missing or unknown. */
  key: string | null;
  response: Response;
  /** Set for answers the gateway made itself: `unauthorized`, `limited`, `cooling`, ... */
  outcome?: string;
  /** What forwarding came to, when the request was forwarded. */
  result?: FailoverResult;
  /** A waiting stream's result, once a slot freed (`undefined` if none did). */
  later?: Promise<FailoverResult | undefined>;
  /** The model the client asked for, when model routing read it (it may differ upstream). */
  requestedModel?: string;
  /** The gateway added `stream_options.include_usage` for standard accounts. */
  injectedUsage?: boolean;
  /** Hears the id of a stored response in a success body (see `lib/usage/tap.ts`). */
  onResponseId?(id: string): void;
  /** Hears each mark of signed thinking in a success body (see `lib/usage/tap.ts`). */
  onSigned?(mark: string): void;
  /** The records those two started, still being written (awaited before a tapped body closes). */
  recording?(): Promise<void> | undefined;
  /** Gives the key's concurrency slot back once the body is done. */
  release?(): void;
}

/** Where the relay reports. */
export interface RelaySinks {
  metrics: GatewayMetrics;
  usage: UsageRecorder;
  failovers: FailoverLog;
  live: LiveHub;
  log: RequestLogger;
  /** Per-minute totals for the dashboard's charts. */
  series?: MinuteSeries;
  /** Prices recorded requests and adds them to budgets. */
  cost?: CostMeter;
  /** Whether an account is in passthrough mode (its body went unchanged). */
  isPassthrough(accountId: string): boolean;
}

/** Relays answers to clients, observing them on the way. */
export class Relay {
  constructor(private readonly sinks: RelaySinks) {}

  /** Records the attempts and returns the response to send, its body tapped. */
  deliver(delivery: Delivery): Response {
    const { metrics, live } = this.sinks;
    const attempts = delivery.result?.attempts ?? [];
    for (const attempt of attempts) {
      if (attempt.ms !== undefined) {
        metrics.upstreamLatency.observe({ account: attempt.account }, attempt.ms / 1000);
      }
      if (attempt.outcome === "stale-connection") {
        metrics.staleRetries.inc({ account: attempt.account });
      }
    }
    const failovers = failoverEvents(attempts, delivery.key, transportOf(delivery.request));
    for (const event of failovers) metrics.failovers.inc({ reason: event.reason });
    this.sinks.series?.failovers(failovers.length);
    // Not awaited: the log's own readers wait for its writes, and closing the gateway does.
    if (failovers.length > 0) void this.sinks.failovers.record(failovers).catch(reportError);
    if (attempts.some((attempt) => attempt.effect !== undefined)) live.poke();

    const { response } = delivery;
    const named = delivery.result?.served?.id ?? null;
    // A waiting stream answers before any account is chosen: its result names the one that serves.
    let later: FailoverResult | undefined;
    delivery.later?.then((result) => later = result);
    const queued = delivery.later !== undefined;
    // Before anything reads `response.body`: reading it turns bytes into a JS stream, which
    // Deno.serve then has to pump (a JSON answer read whole is served from its bytes).
    const whole = delivery.result?.whole;
    if (whole && named) {
      // Read whole before answering (a JSON success): counted from its bytes, no stream to tap.
      const ms = performance.now() - delivery.started;
      const report = response.status < 400 ? wholeUsage(whole, delivery.surface) : { deltas: 0 };
      // Translated: the upstream's own counts, which the client's API may not all carry.
      const native = delivery.result?.wholeUsage;
      if (native && response.status < 400) report.usage = native;
      if (report.responseId) delivery.onResponseId?.(report.responseId);
      if (delivery.onSigned) report.signed?.forEach(delivery.onSigned);
      delivery.release?.();
      this.#finish(delivery, attempts, named, ms, {
        ...report,
        end: "complete",
        bytes: whole.byteLength,
      });
      return response;
    }
    if ((!named && !queued) || response.body === null) {
      const ms = performance.now() - delivery.started;
      this.#finish(delivery, attempts, named, ms, { deltas: 0, end: "complete", bytes: 0 });
      return delivery.release ? onResponseEnd(response, delivery.release) : response;
    }
    const account = () => named ?? servingAccount(later?.attempts ?? []);
    // A translated account was never asked for the chat usage chunk: nothing to strip.
    const asked = (id: string | null, result?: FailoverResult) =>
      id !== null && !this.sinks.isPassthrough(id) && !result?.translation;
    const translation = delivery.result?.translation;
    let ttfb: number | undefined;
    const body = tapBody(response.body, {
      // A translated stream is read in the upstream's API, where its usage is.
      surface: translation ? surfaceOf(translation.from) : delivery.surface,
      contentType: response.headers.get("content-type") ?? "",
      scanUsage: response.status < 400,
      stripUsageChunk: delivery.injectedUsage === true &&
        (queued ? () => asked(account(), later) : asked(named, delivery.result)),
      translator: translation ? streamTranslator(translation) : undefined,
      clientSignal: delivery.request.signal,
      onFirstByte: () => {
        ttfb = performance.now() - delivery.started;
      },
      onEnd: (result) => {
        delivery.release?.();
        this.#finish(delivery, later?.attempts ?? attempts, account(), ttfb, result);
      },
      onResponseId: delivery.onResponseId,
      onSigned: delivery.onSigned,
      beforeClose: delivery.recording,
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  #finish(
    delivery: Delivery,
    attempts: readonly Attempt[],
    account: string | null,
    ttfbMs: number | undefined,
    result: TapResult,
  ): void {
    const { metrics, usage, log } = this.sinks;
    const ms = performance.now() - delivery.started;
    const status = delivery.response.status;
    const outcome = delivery.outcome ?? outcomeOf(attempts, result.end);
    metrics.requests.inc({ surface: delivery.surface, status: String(status), outcome });
    const transport = transportOf(delivery.request);
    if (transport) metrics.websocketTurns.inc({ status: String(status), outcome });
    if (ttfbMs !== undefined) metrics.ttfb.observe({ surface: delivery.surface }, ttfbMs / 1000);

    let tokens: TokenUsage | undefined = result.usage;
    if (!tokens && result.deltas > 0) {
      // The stream ended before its usage report: count what was streamed.
      tokens = { input: 0, output: result.deltas, cached: 0 };
    }
    let costMicros: number | undefined;
    if (tokens && delivery.key && account) {
      const model = usageModel(result.model, delivery.requestedModel);
      const charged = this.sinks.cost?.charge({
        key: delivery.key,
        account,
        model: result.model ?? delivery.requestedModel ?? model,
        requested: delivery.requestedModel,
        tokens,
      });
      costMicros = charged?.micros;
      const unpriced = charged?.unpriced;
      const at = Date.now();
      usage.record({ key: delivery.key, account, model, tokens, at, costMicros, unpriced });
      metrics.tokens.inc({ key: delivery.key, type: "input" }, tokens.input);
      metrics.tokens.inc({ key: delivery.key, type: "output" }, tokens.output);
      metrics.tokens.inc({ key: delivery.key, type: "cached" }, tokens.cached);
    }
    this.sinks.series?.request({
      status,
      ttfbMs,
      account,
      tokens: tokens ? tokens.input + tokens.output : 0,
      costMicros,
    });
    this.sinks.live.nudge(); // the charts and usage move; open dashboards get a snapshot soon
    // One object, its optional fields set in place (no spread of a temporary per field).
    const entry: RequestLogEntry = {
      key: delivery.key,
      method: delivery.request.method,
      path: delivery.path,
      status,
      attempts: attempts.map(loggedAttempt),
      ms: round(ms),
      surface: delivery.surface,
      outcome,
    };
    if (ttfbMs !== undefined) entry.ttfbMs = round(ttfbMs);
    if (result.model) entry.model = result.model;
    if (delivery.requestedModel && delivery.requestedModel !== result.model) {
      entry.requestedModel = delivery.requestedModel;
    }
    if (tokens) entry.tokens = tokens;
    if (costMicros !== undefined) entry.costUsd = usdOf(costMicros);
    if (account) entry.end = result.end;
    if (transport) entry.transport = transport;
    log(entry);
  }
}

/**
 * A result whose stream is translated for the client as it is read, for a
 * queued request: its waiting stream relays the body itself, so the usage
 * tap sees the client's events there (a Chat client that did not ask for the
 * usage chunk then goes uncounted but for its deltas).
 */
export function translatedNow(result: FailoverResult): FailoverResult {
  const { response, translation } = result;
  if (!translation || !response.body) return result;
  const translator = streamTranslator(translation);
  const encoder = new TextEncoder();
  const bytes = (text: string) => text ? encoder.encode(text) : null;
  const body = observeStream(response.body, {
    chunk: (chunk) => bytes(translator.push(chunk)),
    flush: () => bytes(translator.finish()),
    end() {},
  });
  const { status, statusText, headers } = response;
  const { translation: _done, ...rest } = result;
  return { ...rest, response: new Response(body, { status, statusText, headers }) };
}

function streamTranslator(translation: Translation): StreamTranslator {
  return new StreamTranslator(translation.from, translation.to, {
    includeUsage: translation.includeUsage,
  });
}

/** The surface (usage and error shapes) of a client API. */
function surfaceOf(api: Api): Surface {
  return api === "messages" ? "anthropic" : "openai";
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

const reportError = logFailure("failover log write failed");
