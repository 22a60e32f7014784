/**
 * The benchmark's sequential client, a process of its own: one request at a
 * time over one keep-alive connection (raw HTTP/1.1, `raw_client.ts`), so
 * each figure is the target's own latency with no queueing in front of it.
 * `deno run --allow-net scripts/support/latency_client.ts '<spec as JSON>'`
 * prints one JSON line: p50/p99 of the whole exchange and of the time to the
 * first body byte, the count, and how many answers had an unexpected status
 * (or, with `check`, a body that is not a well-formed answer, checked after
 * the exchange is timed).
 *
 * @module
 */

import { type AnswerCheck, answerProblem } from "./answer_check.ts";
import { answerJsonScript } from "./processes.ts";
import { postRequest, RawConnection } from "./raw_client.ts";

/** What to send, how often, and for how long at most. */
export interface LatencySpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Requests to time (after `warmup` untimed ones). */
  count: number;
  warmup: number;
  /** Stop timing after this many seconds even if `count` was not reached. */
  maxSeconds: number;
  /** The status every answer should have (200, or 429 for a failing account). */
  expectStatus: number;
  /** Check every timed answer's body too (see `answer_check.ts`). */
  check?: AnswerCheck;
}

/** What the client prints. */
export interface LatencyResult {
  count: number;
  unexpected: number;
  p50: number;
  p99: number;
  ttfbP50: number;
  ttfbP99: number;
  /** What was wrong with the first unexpected answer (status, then the start of its body). */
  firstProblem?: string;
}

if (import.meta.main) await answerJsonScript(measure);

async function measure(spec: LatencySpec): Promise<LatencyResult> {
  const url = new URL(spec.url);
  const request = postRequest(url, spec.headers, spec.body);
  let connection = await RawConnection.open(url);
  const totals: number[] = [];
  const ttfbs: number[] = [];
  let unexpected = 0;
  let firstProblem: string | undefined;
  const decoder = new TextDecoder();
  const deadline = performance.now() + spec.maxSeconds * 1000;
  for (let i = 0; i < spec.warmup + spec.count && performance.now() < deadline; i++) {
    if (connection.closed) connection = await RawConnection.open(url);
    const exchange = await connection.exchange(request);
    if (i < spec.warmup) continue;
    const body = () => decoder.decode(exchange.body);
    const problem = exchange.status !== spec.expectStatus
      ? `status ${exchange.status}`
      : spec.check && answerProblem(spec.check, body());
    if (problem) {
      unexpected++;
      firstProblem ??= `${problem}: ${body().slice(0, 200)}`;
    }
    totals.push(exchange.totalMs);
    ttfbs.push(exchange.ttfbMs);
  }
  connection.close();
  return {
    count: totals.length,
    unexpected,
    p50: percentile(totals, 0.5),
    p99: percentile(totals, 0.99),
    ttfbP50: percentile(ttfbs, 0.5),
    ttfbP99: percentile(ttfbs, 0.99),
    firstProblem,
  };
}

/** The `q` quantile (nearest rank) of `values`; NaN when there are none. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
