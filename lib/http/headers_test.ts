import assert from "node:assert/strict";
import {
  forwardableRequestHeaders,
  forwardableResponseHeaders,
  headerValue,
  readUpstreamHeaders,
} from "./headers.ts";

const pairs = (headers: Headers | [string, string][]) => [...headers];

Deno.test("request headers: only the named ones, per platform; names listed in Connection stay behind", () => {
  const cases: {
    in: [string, string][];
    openai: [string, string][];
    anthropic: [string, string][];
  }[] = [
    { in: [], openai: [], anthropic: [] },
    {
      in: [["Authorization", "Bearer k"], ["Host", "h"], ["Content-Type", "application/json"]],
      openai: [["content-type", "application/json"]],
      anthropic: [["content-type", "application/json"]],
    },
    {
      in: [["Connection", "keep-alive, User-Agent ,x-other"], ["user-agent", "1"], ["accept", "2"]],
      openai: [["accept", "2"]],
      anthropic: [["accept", "2"]],
    },
    {
      in: [
        ["openai-organization", "org"],
        ["openai-project", "p"],
        ["chatgpt-account-id", "a"],
        ["x-forwarded-host", "h"],
        ["cf-connecting-ip", "1.2.3.4"],
        ["true-client-ip", "1.2.3.4"],
        ["cookie", "c"],
        ["accept-encoding", "gzip"],
        ["x-unknown", "1"],
      ],
      openai: [],
      anthropic: [],
    },
    {
      in: [
        ["anthropic-beta", "b"],
        ["openai-beta", "o"],
        ["originator", "codex_exec"],
        ["session-id", "s"],
        ["x-app", "cli"],
        ["x-claude-code-session-id", "c"],
        ["x-codex-window-id", "w"],
        ["x-stainless-os", "Linux"],
      ],
      openai: [
        ["openai-beta", "o"],
        ["originator", "codex_exec"],
        ["session-id", "s"],
        ["x-codex-window-id", "w"],
        ["x-stainless-os", "Linux"],
      ],
      anthropic: [
        ["anthropic-beta", "b"],
        ["x-app", "cli"],
        ["x-claude-code-session-id", "c"],
        ["x-stainless-os", "Linux"],
      ],
    },
  ];
  for (const { in: incoming, openai, anthropic } of cases) {
    const forwarded = forwardableRequestHeaders(new Headers(incoming));
    assert.deepEqual(pairs(forwarded.openai), openai, JSON.stringify(incoming));
    assert.deepEqual(pairs(forwarded.anthropic), anthropic, JSON.stringify(incoming));
  }
});

Deno.test("response headers: set-cookie, Connection-listed names and the account's organization and project are dropped", () => {
  const upstream = new Headers([
    ["connection", "x-hop"],
    ["x-hop", "1"],
    ["content-encoding", "gzip"],
    ["set-cookie", "a=1"],
    ["x-request-id", "r1"],
    ["x-ratelimit", "1"],
    ["x-ratelimit", "2"],
    ["openai-organization", "org-pool"],
    ["openai-project", "proj_pool"],
    ["anthropic-organization-id", "0d9e"],
  ]);
  assert.deepEqual(forwardableResponseHeaders(upstream), [
    ["x-ratelimit", "1, 2"],
    ["x-request-id", "r1"],
  ]);
});

Deno.test("response headers in one pass: the forwardable pairs and the type, length and encoding", () => {
  const upstream = new Headers([
    ["Content-Type", "Application/JSON; charset=utf-8"],
    ["content-length", "42"],
    ["connection", "keep-alive, X-Hop"],
    ["x-hop", "1"],
    ["x-request-id", "r1"],
  ]);
  assert.deepEqual(readUpstreamHeaders(upstream), {
    forwardable: [["content-type", "Application/JSON; charset=utf-8"], ["x-request-id", "r1"]],
    contentType: "application/json; charset=utf-8",
    contentLength: "42",
    encoded: false,
  });
  assert.deepEqual(readUpstreamHeaders(new Headers([["content-encoding", "br"]])), {
    forwardable: [],
    contentType: "",
    contentLength: null,
    encoded: true,
  });
});

Deno.test("headerValue: plain ASCII as it is, anything else percent-encoded", () => {
  const rows: [string, string][] = [
    ["gpt-5", "gpt-5"],
    ["claude-sonnet-4-5 (beta)/x", "claude-sonnet-4-5 (beta)/x"],
    ["gpt-4o\u0101", "gpt-4o%C4%81"],
    ["modèle", "mod%C3%A8le"],
    ["a\nb", "a%0Ab"],
  ];
  for (const [text, expected] of rows) {
    assert.equal(headerValue(text), expected, text);
    assert.equal(decodeURIComponent(headerValue(text)), text);
    new Headers().set("x", headerValue(text));
  }
});
