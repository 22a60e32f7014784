/**
 * A mock upstream as a process of its own, for the benchmarks and the demo:
 * `deno run --allow-net scripts/support/mock_server.ts <mode> [options]`.
 * Modes:
 * - `fast` answers `/chat/completions` with JSON, or with a 20-event SSE
 *   stream when the body asks for `"stream": true`;
 * - `exhausted` answers every request with the Codex passthrough "usage limit
 *   reached" 403;
 * - `limited` answers every request at once with a bare 429 (no reset time),
 *   the first account of the benchmark's failover-once row;
 * - `trickle <intervalMs> <events>` answers a streaming request with an SSE
 *   stream of `events` events (the last is `[DONE]`), `intervalMs` apart:
 *   long-lived streams for `deno task scale` (other requests get JSON at once).
 *
 * @module
 */

import { chatChunks, chatCompletion, json, sse, startMockUpstream } from "./mock_upstream.ts";

const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index} `);
const STREAM_WORDS = words(19);

const [mode = "fast", ...options] = Deno.args;
const trickle = mode === "trickle"
  ? { intervalMs: Number(options[0] ?? 1000), events: Number(options[1] ?? 20) }
  : undefined;

const mock = startMockUpstream((_request, hit) => {
  if (mode === "exhausted") {
    return json(403, { error: { message: "usage limit reached", type: "forbidden_error" } });
  }
  if (mode === "limited") {
    return json(429, { error: { message: "rate limited", type: "rate_limit_error" } });
  }
  const streaming = hit.body.includes('"stream":true');
  if (trickle && streaming) {
    return sse(chatChunks(words(trickle.events - 1)), { intervalMs: trickle.intervalMs });
  }
  return streaming ? sse(chatChunks(STREAM_WORDS)) : json(200, chatCompletion("pong"));
}, { record: false });
console.log(`mock listening on ${mock.url}`);
