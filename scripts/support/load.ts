/**
 * The benchmark's load generator, a process of its own: autocannon
 * (`npm:autocannon@9.0.0`, pinned in deno.lock) with N keep-alive
 * connections for a fixed time. Running it apart from the orchestrator and
 * from the servers keeps the client's own cost out of their measurements.
 * `deno run --allow-net --allow-read --allow-env --allow-sys scripts/support/load.ts '<spec>'`
 * prints one JSON line (requests per second counts 2xx answers only).
 *
 * @module
 */

import autocannon from "autocannon";
import { answerJsonScript } from "./processes.ts";

/** What to load and how hard. */
export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
}

/** What the load generator prints. */
export interface LoadResult {
  /** 2xx answers per second. */
  rps: number;
  ok: number;
  /** Non-2xx answers, connection errors and timeouts. */
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
  });
  return {
    rps: result["2xx"] / result.duration,
    ok: result["2xx"],
    failed: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}
