/**
 * A mock upstream as a process of its own, for the benchmarks and the demo:
 * `deno run --allow-net scripts/support/mock_server.ts <mode> [options]`.
 * Modes:
 * - `fast` answers `/chat/completions` with JSON, or with a 20-event SSE
 *   stream when the body asks for `"stream": true`; and `/responses` as the
 *   ChatGPT (Codex) backend does (a Codex account's upstream): only a request
 *   with `"stream": true`, `"store": false` and `instructions` (else that
 *   backend's 400), always a 20-event Responses stream of the same text;
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

import {
  chatChunks,
  chatCompletion,
  json,
  type MockHit,
  responsesEvents,
  sse,
  startMockUpstream,
} from "./mock_upstream.ts";

const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index} `);
const STREAM_WORDS = words(19);
/** The same 19 words in 12 deltas (two words each, then one), so the stream has 20 events. */
const RESPONSES_DELTAS = Array.from(
  { length: 12 },
  (_, index) =>
    index < 7 ? STREAM_WORDS[2 * index] + STREAM_WORDS[2 * index + 1] : STREAM_WORDS[index + 7],
);

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
  if (hit.path.endsWith("/responses")) return codexAnswer(hit);
  const streaming = hit.body.includes('"stream":true');
  if (trickle && streaming) {
    return sse(chatChunks(words(trickle.events - 1)), { intervalMs: trickle.intervalMs });
  }
  return streaming ? sse(chatChunks(STREAM_WORDS)) : json(200, chatCompletion("pong"));
}, { record: false });
console.log(`mock listening on ${mock.url}`);

/** What the ChatGPT (Codex) backend answers, refusing what it refuses. */
function codexAnswer(hit: MockHit): Response {
  const body = JSON.parse(hit.body);
  if (body.store !== false) return json(400, { detail: "Store must be set to false" });
  if (typeof body.instructions !== "string" || body.instructions === "") {
    return json(400, { detail: "Instructions are required" });
  }
  if (body.stream !== true) return json(400, { detail: "Stream must be set to true" });
  return sse(responsesEvents(RESPONSES_DELTAS));
}
