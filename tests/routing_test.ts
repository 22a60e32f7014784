/**
 * What crosses the gateway and what does not: client authentication, routing
 * by path and group, credentials, headers, query strings, body limits, and
 * the admin API.
 */

import assert from "node:assert/strict";
import {
  ADMIN_TOKEN,
  chatRequest,
  CLIENT_KEY,
  messagesRequest,
  startGateway,
} from "./support/gateway.ts";
import { rawRequest } from "./support/raw_http.ts";
import {
  anthropicMessage,
  chatCompletion,
  json,
  openaiError,
  upstream,
  USAGE_LIMIT_403,
} from "./support/upstream.ts";

Deno.test("a missing or unknown client key gets 401 in the surface's shape, with no upstream call", async (t) => {
  await using openai = upstream(() => json(200, chatCompletion("never")));
  await using claude = upstream(() => json(200, anthropicMessage("never")));
  await using gw = await startGateway({
    accounts: [
      { id: "oa", upstream: openai },
      { id: "claude", upstream: claude, platform: "anthropic" },
    ],
  });

  const cases: [string, string, Record<string, string>][] = [
    ["no key", "/v1/chat/completions", {}],
    ["unknown Bearer key", "/v1/chat/completions", { authorization: "Bearer sk-nobody-12345" }],
    ["unknown x-api-key", "/v1/chat/completions", { "x-api-key": "sk-nobody-12345" }],
    ["not a Bearer scheme", "/v1/chat/completions", { authorization: `Basic ${CLIENT_KEY}` }],
    ["no key (Anthropic)", "/v1/messages", {}],
    ["unknown x-api-key (Anthropic)", "/v1/messages", { "x-api-key": "sk-nobody-12345" }],
  ];
  for (const [name, path, headers] of cases) {
    await t.step(name, async () => {
      const response = await gw.api(path, { key: null, headers, json: chatRequest() });
      assert.equal(response.status, 401);
      const body = await response.json();
      if (path === "/v1/messages") {
        assert.equal(body.type, "error");
        assert.equal(body.error.type, "authentication_error");
      } else {
        assert.deepEqual(Object.keys(body), ["error"]);
        assert.equal(body.error.code, "invalid_api_key");
      }
      assert.equal(typeof body.error.message, "string");
    });
  }
  assert.equal(openai.hits.length + claude.hits.length, 0, "no upstream call");
});

Deno.test("a client key works as Bearer or as x-api-key", async () => {
  await using openai = upstream(() => json(200, chatCompletion("ok")));
  await using gw = await startGateway({ accounts: [{ id: "oa", upstream: openai }] });
  const bearer = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(bearer.status, 200);
  await bearer.body?.cancel();
  const apiKey = await gw.api("/v1/chat/completions", {
    key: null,
    headers: { "x-api-key": CLIENT_KEY },
    json: chatRequest(),
  });
  assert.equal(apiKey.status, 200);
  await apiKey.body?.cancel();
  assert.equal(openai.hits.length, 2);
});

Deno.test("paths route to their platform and keys to their group", async (t) => {
  await using teamOpenai = upstream(() => json(200, chatCompletion("team openai")));
  await using teamClaude = upstream(() => json(200, anthropicMessage("team claude")));
  await using otherOpenai = upstream(() => json(200, chatCompletion("other openai")));
  await using gw = await startGateway({
    accounts: [
      { id: "team-oa", upstream: teamOpenai },
      { id: "team-claude", upstream: teamClaude, platform: "anthropic" },
      { id: "other-oa", upstream: otherOpenai },
    ],
    groups: [
      { id: "team", accounts: ["team-oa", "team-claude"] },
      { id: "other", accounts: ["other-oa"] },
    ],
    keys: [
      { id: "alice", key: CLIENT_KEY, group: "team" },
      { id: "bob", key: "sk-client-bob-0123456789", group: "other" },
    ],
  });

  const cases: [string, string, string, string][] = [
    ["chat completions", "/v1/chat/completions", CLIENT_KEY, "team-oa"],
    ["responses subpath", "/v1/responses/compact", CLIENT_KEY, "team-oa"],
    ["models", "/v1/models", CLIENT_KEY, "team-oa"],
    ["embeddings", "/v1/embeddings", CLIENT_KEY, "team-oa"],
    ["messages", "/v1/messages", CLIENT_KEY, "team-claude"],
    ["messages subpath", "/v1/messages/count_tokens", CLIENT_KEY, "team-claude"],
    ["another group's key", "/v1/chat/completions", "sk-client-bob-0123456789", "other-oa"],
  ];
  for (const [name, path, key, account] of cases) {
    await t.step(name, async () => {
      const init = path === "/v1/models" ? { method: "GET" } : { json: {} };
      const response = await gw.api(path, { key, ...init });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-switchyard-account"), account);
      await response.body?.cancel();
    });
  }
  assert.deepEqual(teamOpenai.hits.map((hit) => hit.path), [
    "/v1/chat/completions",
    "/v1/responses/compact",
    "/v1/models",
    "/v1/embeddings",
  ]);
  assert.deepEqual(teamClaude.hits.map((hit) => hit.path), [
    "/v1/messages",
    "/v1/messages/count_tokens",
  ]);
  assert.deepEqual(otherOpenai.hits.map((hit) => hit.path), ["/v1/chat/completions"]);
});

Deno.test("the upstream URL is baseUrl + the path after /v1 + the query string", async () => {
  await using codex = upstream(() => json(200, { object: "list", data: [] }));
  await using gw = await startGateway({
    accounts: [{ id: "codex", upstream: `${codex.url}/backend-api/codex`, passthrough: true }],
  });
  const response = await gw.api("/v1/models/gpt-4.1?limit=2&after=item%201&x=", {
    method: "GET",
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.equal(codex.hits.length, 1);
  assert.equal(codex.hits[0].method, "GET");
  assert.equal(
    codex.hits[0].path,
    "/backend-api/codex/models/gpt-4.1?limit=2&after=item%201&x=",
  );
});

/** The two ways a client presents its key. */
const CLIENT_CREDENTIALS: Record<string, string>[] = [
  { authorization: `Bearer ${CLIENT_KEY}` },
  { "x-api-key": CLIENT_KEY },
];

Deno.test("the client's credential never goes upstream; the account's does", async (t) => {
  await t.step("OpenAI account: Authorization Bearer", async () => {
    await using openai = upstream(() => json(200, chatCompletion("ok")));
    await using gw = await startGateway({
      accounts: [{ id: "oa", upstream: openai, apiKey: "sk-account-openai" }],
    });
    for (const headers of CLIENT_CREDENTIALS) {
      const response = await gw.api("/v1/chat/completions", {
        key: null,
        headers,
        json: chatRequest(),
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    for (const hit of openai.hits) {
      assert.equal(hit.headers.get("authorization"), "Bearer sk-account-openai");
      assert.equal(hit.headers.get("x-api-key"), null);
      for (const [name, value] of hit.headers) {
        assert.ok(!value.includes(CLIENT_KEY), `the client key leaked in ${name}`);
      }
    }
  });

  await t.step("Anthropic account: x-api-key", async () => {
    await using claude = upstream(() => json(200, anthropicMessage("ok")));
    await using gw = await startGateway({
      accounts: [
        { id: "claude", upstream: claude, platform: "anthropic", apiKey: "sk-ant-account" },
      ],
    });
    for (const headers of CLIENT_CREDENTIALS) {
      const response = await gw.api("/v1/messages", {
        key: null,
        headers: { ...headers, "anthropic-version": "2023-06-01" },
        json: messagesRequest(),
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    for (const hit of claude.hits) {
      assert.equal(hit.headers.get("x-api-key"), "sk-ant-account");
      assert.equal(hit.headers.get("authorization"), null);
      assert.equal(hit.headers.get("anthropic-version"), "2023-06-01");
      for (const [name, value] of hit.headers) {
        assert.ok(!value.includes(CLIENT_KEY), `the client key leaked in ${name}`);
      }
    }
  });

  await t.step("every account of a failover gets its own credential", async () => {
    await using first = upstream(() => json(429, openaiError("busy")));
    await using second = upstream(() => json(200, chatCompletion("ok")));
    await using gw = await startGateway({
      accounts: [
        { id: "first", upstream: first, apiKey: "sk-first", priority: 1 },
        { id: "second", upstream: second, apiKey: "sk-second", priority: 2 },
      ],
    });
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.equal(first.hits[0].headers.get("authorization"), "Bearer sk-first");
    assert.equal(second.hits[0].headers.get("authorization"), "Bearer sk-second");
  });
});

Deno.test("hop-by-hop, host, cookie and unnamed headers are not forwarded; the named ones are", async () => {
  await using openai = upstream(() => json(200, chatCompletion("ok")));
  await using gw = await startGateway({ accounts: [{ id: "oa", upstream: openai }] });
  const body = JSON.stringify(chatRequest());
  // Written by hand so every header reaches the gateway exactly as sent.
  const response = await rawRequest(gw.url, "POST /v1/chat/completions HTTP/1.1", [
    "Host: gateway.example",
    `Authorization: Bearer ${CLIENT_KEY}`,
    "Content-Type: application/json",
    "Connection: close, x-per-hop",
    "X-Per-Hop: connection-listed",
    "Keep-Alive: timeout=5",
    "Cookie: session=secret",
    "TE: trailers",
    "Proxy-Authorization: Basic c2VjcmV0",
    "Proxy-Connection: keep-alive",
    "Upgrade: h2c",
    "OpenAI-Beta: assistants=v2",
    "X-Custom: keep-me",
  ], body);
  assert.equal(response.status, 200);

  const dropped = [
    "connection",
    "x-per-hop",
    "keep-alive",
    "cookie",
    "te",
    "proxy-authorization",
    "proxy-connection",
    "upgrade",
    "x-custom",
  ];
  const atGateway = gw.received[0];
  for (const name of dropped) assert.ok(atGateway.has(name), `${name} reached the gateway`);

  const sent = openai.hits[0].headers;
  for (const name of dropped) assert.equal(sent.get(name), null, `${name} was forwarded`);
  assert.notEqual(sent.get("host"), "gateway.example");
  assert.equal(sent.get("content-length"), String(new TextEncoder().encode(body).length));
  assert.equal(sent.get("openai-beta"), "assistants=v2");
  assert.equal(sent.get("content-type"), "application/json");
  assert.equal(openai.hits[0].body, body);
});

Deno.test("the request body goes upstream byte for byte", async (t) => {
  // Odd spacing, key order, unicode escapes and a trailing newline: nothing is re-serialised.
  const body =
    '{ "model":"gpt-test",\n  "messages":[{"content":"h\\u00e9llo \u2603","role":"user"}] }\n';
  const streamingBody = '{"stream" : true, "model":"gpt-test","messages":[]}';
  const cases: [string, boolean, string][] = [
    ["passthrough", true, body],
    ["passthrough, streaming", true, streamingBody],
    ["standard", false, body],
  ];
  for (const [name, passthrough, sent] of cases) {
    await t.step(name, async () => {
      await using first = upstream(() => json(429, openaiError("busy")));
      await using second = upstream(() => json(200, chatCompletion("ok")));
      await using gw = await startGateway({
        accounts: [
          { id: "first", upstream: first, passthrough, priority: 1 },
          { id: "second", upstream: second, passthrough, priority: 2 },
        ],
      });
      const response = await gw.api("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: sent,
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
      assert.equal(first.hits[0].body, sent, "first attempt");
      assert.equal(second.hits[0].body, sent, "replayed to the next account");
    });
  }
});

Deno.test("a body over maxRequestBytes gets 413 without an upstream call", async (t) => {
  await using openai = upstream(() => json(200, chatCompletion("ok")));
  await using claude = upstream(() => json(200, anthropicMessage("ok")));
  await using gw = await startGateway({
    accounts: [
      { id: "oa", upstream: openai },
      { id: "claude", upstream: claude, platform: "anthropic" },
    ],
    maxRequestBytes: 1024,
  });

  await t.step("declared with Content-Length", async () => {
    const response = await gw.api("/v1/chat/completions", { body: "x".repeat(1025) });
    assert.equal(response.status, 413);
    const body = await response.json();
    assert.equal(typeof body.error.message, "string");
    assert.equal(body.type, undefined);
  });

  await t.step("streamed without Content-Length", async () => {
    const chunk = new TextEncoder().encode("y".repeat(400));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 4) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await gw.api("/v1/messages", { method: "POST", body: stream });
    assert.equal(response.status, 413);
    const body = await response.json();
    assert.equal(body.type, "error");
    assert.equal(typeof body.error.message, "string");
  });

  await t.step("exactly maxRequestBytes is accepted", async () => {
    // A JSON body (an inference endpoint refuses anything else) of exactly the limit.
    const shell = '{"model":"m","pad":""}';
    const exact = shell.replace('""', `"${"z".repeat(1024 - shell.length)}"`);
    const response = await gw.api("/v1/chat/completions", { body: exact });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.equal(openai.hits.length, 1);
    assert.equal(openai.hits[0].body.length, 1024);
  });

  assert.equal(claude.hits.length, 0);
});

Deno.test("a compressed upstream answer reaches the client decoded, without content-encoding", async () => {
  const payload = JSON.stringify(chatCompletion("squeezed ".repeat(200)));
  const gzipped = await new Response(
    new Blob([payload]).stream().pipeThrough(new CompressionStream("gzip")),
  ).arrayBuffer();
  await using openai = upstream(() =>
    new Response(gzipped, {
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
    })
  );
  await using gw = await startGateway({ accounts: [{ id: "oa", upstream: openai }] });
  // Raw, so the client does no decoding of its own: what arrives is what the gateway sent.
  const response = await rawRequest(gw.url, "POST /v1/chat/completions HTTP/1.1", [
    "Host: gateway.example",
    `Authorization: Bearer ${CLIENT_KEY}`,
    "Content-Type: application/json",
  ], JSON.stringify(chatRequest()));
  assert.equal(response.status, 200);
  assert.doesNotMatch(response.head, /content-encoding/i);
  assert.equal(response.body, payload, "the decoded JSON");
});

Deno.test("unknown paths get 404 and /healthz answers 200", async () => {
  await using openai = upstream(() => json(200, chatCompletion("ok")));
  await using gw = await startGateway({ accounts: [{ id: "oa", upstream: openai }] });
  const health = await gw.api("/healthz", { key: null });
  assert.equal(health.status, 200);
  await health.body?.cancel();
  for (const path of ["/", "/v2/chat/completions", "/v1"]) {
    const response = await gw.api(path);
    assert.equal(response.status, 404, path);
    await response.body?.cancel();
  }
  assert.equal(openai.hits.length, 0);
});

Deno.test("admin API: token, account list and reset", async (t) => {
  await using codex = upstream(() => json(403, USAGE_LIMIT_403));
  await using claude = upstream(() => json(401, { type: "error", error: { type: "x" } }));
  await using gw = await startGateway({
    accounts: [
      { id: "codex-1", upstream: codex, passthrough: true },
      { id: "claude-1", upstream: claude, platform: "anthropic" },
    ],
  });

  await t.step("a missing or wrong token gets 401", async () => {
    for (const token of [null, "wrong-token", `${ADMIN_TOKEN}x`, CLIENT_KEY]) {
      const response = await gw.admin("/admin/accounts", { token });
      assert.equal(response.status, 401, `token ${token}`);
      await response.body?.cancel();
    }
    const reset = await gw.admin("/admin/accounts/codex-1/reset", {
      method: "POST",
      token: "wrong",
    });
    assert.equal(reset.status, 401);
    await reset.body?.cancel();
  });

  await t.step("the list shows every account, active at first", async () => {
    assert.deepEqual(await gw.accounts(), [
      { id: "codex-1", platform: "openai", state: "active", strikes: 0 },
      { id: "claude-1", platform: "anthropic", state: "active", strikes: 0 },
    ]);
  });

  await t.step("reset clears cooldown, strikes and disabled", async () => {
    const openaiCall = await gw.api("/v1/chat/completions", { json: chatRequest() });
    await openaiCall.body?.cancel();
    const claudeCall = await gw.api("/v1/messages", { json: messagesRequest() });
    await claudeCall.body?.cancel();
    const [codexView, claudeView] = await gw.accounts();
    assert.equal(codexView.state, "cooldown");
    assert.equal(codexView.strikes, 1);
    assert.equal(claudeView.state, "disabled");

    for (const id of ["codex-1", "claude-1"]) {
      const response = await gw.admin(`/admin/accounts/${id}/reset`, { method: "POST" });
      assert.equal(response.status, 200);
      const view = await response.json();
      assert.equal(view.id, id);
      assert.equal(view.state, "active");
      assert.equal(view.strikes, 0);
    }
    assert.deepEqual(await gw.accounts(), [
      { id: "codex-1", platform: "openai", state: "active", strikes: 0 },
      { id: "claude-1", platform: "anthropic", state: "active", strikes: 0 },
    ]);
    // And traffic flows to them again.
    const again = await gw.api("/v1/chat/completions", { json: chatRequest() });
    await again.body?.cancel();
    assert.equal(codex.hits.length, 2);
  });

  await t.step("resetting an unknown account is a 404", async () => {
    const response = await gw.admin("/admin/accounts/ghost/reset", { method: "POST" });
    assert.equal(response.status, 404);
    await response.body?.cancel();
  });
});

Deno.test("admin API: with no token configured every /admin path is 404", async () => {
  await using openai = upstream(() => json(200, chatCompletion("ok")));
  await using gw = await startGateway({
    accounts: [{ id: "oa", upstream: openai }],
    adminToken: null,
  });
  for (const token of [null, "anything", ADMIN_TOKEN]) {
    const list = await gw.admin("/admin/accounts", { token });
    assert.equal(list.status, 404);
    await list.body?.cancel();
    const reset = await gw.admin("/admin/accounts/oa/reset", { method: "POST", token });
    assert.equal(reset.status, 404);
    await reset.body?.cancel();
  }
});
