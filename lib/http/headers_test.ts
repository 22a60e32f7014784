import assert from "node:assert/strict";
import { forwardableRequestHeaders, forwardableResponseHeaders } from "./headers.ts";

const pairs = (headers: Headers | [string, string][]) => [...headers];

Deno.test("request headers: dropped names and names listed in Connection stay behind", () => {
  const cases: { in: [string, string][]; out: [string, string][] }[] = [
    { in: [], out: [] },
    {
      in: [["Authorization", "Bearer k"], ["Host", "h"], ["Content-Type", "application/json"]],
      out: [["content-type", "application/json"]],
    },
    {
      in: [["Connection", "keep-alive, X-Trace ,x-other"], ["x-trace", "1"], ["X-Other", "2"], [
        "x-kept",
        "3",
      ]],
      out: [["x-kept", "3"]],
    },
    { in: [["x-a", "1"], ["x-a", "2"], ["accept-encoding", "gzip"]], out: [["x-a", "1, 2"]] },
    { in: [["set-cookie", "a"], ["set-cookie", "b"]], out: [["set-cookie", "b"]] },
  ];
  for (const { in: incoming, out } of cases) {
    assert.deepEqual(pairs(forwardableRequestHeaders(new Headers(incoming))), out);
  }
});

Deno.test("response headers: repeated set-cookie is dropped, Connection-listed names too", () => {
  const upstream = new Headers([
    ["connection", "x-hop"],
    ["x-hop", "1"],
    ["content-encoding", "gzip"],
    ["set-cookie", "a=1"],
    ["x-request-id", "r1"],
    ["x-ratelimit", "1"],
    ["x-ratelimit", "2"],
  ]);
  assert.deepEqual(forwardableResponseHeaders(upstream), [
    ["x-ratelimit", "1, 2"],
    ["x-request-id", "r1"],
  ]);
});
