/**
 * The benchmark's load generator, a process of its own: autocannon
 * (`npm:autocannon@9.0.0`, pinned in deno.dev.lock) with N keep-alive
 * connections for a fixed time. Running it apart from the orchestrator and
 * from the servers keeps the client's own cost out of their measurements.
 * `deno run --lock=deno.dev.lock --allow-net --allow-read --allow-env --allow-sys scripts/support/load.ts '<spec>'`
 * prints one JSON line (requests per second counts 2xx answers only; with
 * `check`, an answer whose body fails autocannon's `verifyBody` is counted as
 * failed too).
 *
 * @module
 */

// Pinned here, not in deno.json's import map, so that the gateway's lock stays free
// of it (tests/dependencies_test.ts); the version lives in deno.dev.lock.
// deno-lint-ignore no-import-prefix
import autocannon from "npm:autocannon@9.0.0";
import { type AnswerCheck, answerLooksRight } from "./answer_check.ts";
import { answerJsonScript } from "./processes.ts";

/** What to load and how hard. */
export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
  /** A cheap look at every answer's body (see `answer_check.ts`). */
  check?: AnswerCheck;
}

/** What the load generator prints. */
export interface LoadResult {
  /** 2xx answers (that pass `check`) per second. */
  rps: number;
  ok: number;
  /** Non-2xx answers, connection errors, timeouts and (with `check`) answers that fail it. */
  failed: number;
  /** Autocannon's latency percentiles (whole milliseconds at this speed: indicative only). */
  p50: number;
  p99: number;
}

/** The part of autocannon's result this script reads (the package ships no types). */
interface AutocannonResult {
  duration: number;
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  latency: { p50: number; p99: number };
}

if (import.meta.main) await answerJsonScript(load);

async function load(spec: LoadSpec): Promise<LoadResult> {
  const run = autocannon as unknown as (options: unknown) => Promise<AutocannonResult>;
  const result = await run({
    url: spec.url,
    method: "POST",
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 10,
    ...(spec.check ? { verifyBody: (body: string) => answerLooksRight(spec.check!, body) } : {}),
  });
  // A 2xx answer that fails the check is counted as failed, not as served.
  const ok = result["2xx"] - result.mismatches;
  return {
    rps: ok / result.duration,
    ok,
    failed: result.non2xx + result.errors + result.timeouts + result.mismatches,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}
