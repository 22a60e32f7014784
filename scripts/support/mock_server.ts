/**
 * A mock upstream as a process of its own, for the benchmark and the demo:
 * `deno run --allow-net scripts/support/mock_server.ts <mode>`.
 * Modes: `fast` answers `/chat/completions` with JSON, or with a 20-event SSE
 * stream when the body asks for `"stream": true`; `exhausted` answers every
 * request with the Codex passthrough "usage limit reached" 403.
 *
 * @module
 */

import { chatChunks, chatCompletion, json, sse, startMockUpstream } from "./mock_upstream.ts";

const STREAM_WORDS = Array.from({ length: 19 }, (_, index) => `w${index} `);

const mode = Deno.args[0] ?? "fast";
const mock = startMockUpstream((_request, hit) => {
  if (mode === "exhausted") {
    return json(403, { error: { message: "usage limit reached", type: "forbidden_error" } });
  }
  return hit.body.includes('"stream":true')
    ? sse(chatChunks(STREAM_WORDS))
    : json(200, chatCompletion("pong"));
}, { record: false });
console.log(`mock listening on ${mock.url}`);
