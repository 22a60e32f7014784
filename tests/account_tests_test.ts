/**
 * `POST /admin/accounts/{id}/test` over real sockets: one request through
 * that account only (never failing over), shaped for the account's kind
 * (OpenAI, Codex backend, Anthropic, Claude subscription), billed to no
 * client key, leaving the account's state alone unless `recover` is asked.
 */

import assert from "node:assert/strict";
import { anthropicHandler, codexAccount, codexHandler } from "./support/protocol_mocks.ts";
import { chatRequest, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { chatCompletion, json, openaiError, refusedUrl, upstream } from "./support/upstream.ts";

interface TestAnswer {
  ok: boolean;
  status?: number;
  ms: number;
  model: string;
  error?: string;
  recovered?: boolean;
}

async function testOf(
  gateway: { admin(path: string, init?: { method?: string; json?: unknown }): Promise<Response> },
  id: string,
  body?: unknown,
): Promise<TestAnswer> {
  const response = await gateway.admin(`/admin/accounts/${id}/test`, {
    method: "POST",
    ...(body !== undefined ? { json: body } : {}),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return await readJson<TestAnswer>(response);
}

Deno.test("a test goes through that account only, never fails over, and bills no key", async () => {
  let broken = true;
  await using first = upstream(() =>
    broken ? json(500, openaiError("upstream broke")) : json(200, chatCompletion("fine"))
  );
  await using second = upstream(() => json(200, chatCompletion("second")));
  await using gateway = await startGateway({
    accounts: [
      { id: "first", upstream: first, priority: 1 },
      { id: "second", upstream: second, priority: 2 },
    ],
  });

  const failed = await testOf(gateway, "first");
  assert.equal(failed.ok, false);
  assert.equal(failed.status, 500);
  assert.equal(failed.error, "upstream broke");
  assert.equal(failed.model, "gpt-4o-mini");
  assert.equal(second.hits.length, 0, "a test never fails over");
  assert.equal((await gateway.account("first")).state, "active", "a test leaves state alone");

  broken = false;
  const passed = await testOf(gateway, "first", { model: "gpt-x", prompt: "say hi" });
  assert.equal(passed.ok, true);
  assert.equal(passed.status, 200);
  assert.equal(passed.model, "gpt-x");
  assert.equal(typeof passed.ms, "number");
  assert.equal(passed.error, undefined);
  const sent = JSON.parse(first.hits.at(-1)!.body);
  assert.equal(first.hits.at(-1)!.path, "/v1/chat/completions");
  assert.equal(sent.model, "gpt-x");
  assert.deepEqual(sent.messages, [{ role: "user", content: "say hi" }]);
  assert.equal(first.hits.at(-1)!.headers.get("authorization"), "Bearer sk-upstream-first");

  // The last test is on the account's row in the management API, as the console shows it.
  type Row = { id: string; lastTest?: Record<string, unknown> };
  const rows = await readJson<Row[]>(await gateway.admin("/admin/accounts"));
  const last = rows.find((row) => row.id === "first")?.lastTest;
  assert.deepEqual(
    { ok: last?.ok, status: last?.status, model: last?.model, source: last?.source },
    { ok: true, status: 200, model: "gpt-x", source: "admin" },
  );
  assert.equal(typeof last?.at, "number");
  assert.equal(rows.find((row) => row.id === "second")?.lastTest, undefined, "never tested");
  const one = await readJson<Row>(await gateway.admin("/admin/accounts/first"));
  assert.deepEqual(one.lastTest, last);

  // Billed to no client key: no request log entry, no usage row.
  assert.equal(gateway.log.length, 0);
  await gateway.gateway.usage.flush();
  const usage = await readJson<{ rows: unknown[] }>(await gateway.admin("/admin/usage?by=key"));
  assert.deepEqual(usage.rows, []);
});

Deno.test("recover: true puts a passing cooling account back; without it the state stays", async () => {
  let limited = true;
  await using only = upstream(() =>
    limited
      ? json(429, openaiError("slow down", "rate_limit_error"), { "retry-after": "600" })
      : json(200, chatCompletion("back"))
  );
  await using gateway = await startGateway({ accounts: [{ id: "only", upstream: only }] });
  const cooled = await gateway.api("/v1/chat/completions", { json: chatRequest() });
  await cooled.body?.cancel();
  assert.equal((await gateway.account("only")).state, "cooldown");

  limited = false;
  const plain = await testOf(gateway, "only");
  assert.equal(plain.ok, true);
  assert.equal(plain.recovered, undefined);
  assert.equal((await gateway.account("only")).state, "cooldown", "no recover: state kept");

  const recovered = await testOf(gateway, "only", { recover: true });
  assert.equal(recovered.ok, true);
  assert.equal(recovered.recovered, true);
  assert.equal((await gateway.account("only")).state, "active");

  // A failing test with recover: true changes nothing either.
  limited = true;
  const failing = await testOf(gateway, "only", { recover: true });
  assert.equal(failing.ok, false);
  assert.equal(failing.status, 429);
  assert.equal((await gateway.account("only")).state, "active");
});

Deno.test("a test honours the account's kind: Codex backend rules, Claude Code identity", async () => {
  await using codex = upstream(codexHandler);
  await using claude = upstream(anthropicHandler);
  await using anthropic = upstream(anthropicHandler);
  await using gateway = await startGateway({
    secret: SECRET,
    config: {
      accounts: [
        codexAccount("codex", `${codex.url}/backend-api/codex`),
        {
          id: "claude",
          platform: "anthropic",
          baseUrl: `${claude.url}/v1`,
          oauth: {
            accessToken: "claude-access",
            refreshToken: "claude-refresh",
            expiresAt: Date.now() + 24 * 3600_000,
            tokenUrl: "http://127.0.0.1:9/oauth/token",
          },
        },
        {
          id: "anthropic",
          platform: "anthropic",
          baseUrl: `${anthropic.url}/v1`,
          apiKey: "sk-ant",
        },
      ],
      groups: [{ id: "team", accounts: ["codex", "claude", "anthropic"] }],
      keys: [],
    },
  });

  const codexAnswer = await testOf(gateway, "codex");
  assert.equal(codexAnswer.ok, true, codexAnswer.error);
  assert.equal(codexAnswer.model, "gpt-5");
  const codexSent = JSON.parse(codex.hits[0].body);
  assert.equal(codex.hits[0].path, "/backend-api/codex/responses");
  assert.equal(codexSent.store, false);
  assert.equal(codexSent.stream, true);
  assert.equal(typeof codexSent.instructions, "string");
  assert.equal(codex.hits[0].headers.get("authorization"), "Bearer codex-access");

  const claudeAnswer = await testOf(gateway, "claude");
  assert.equal(claudeAnswer.ok, true, claudeAnswer.error);
  const claudeHit = claude.hits[0];
  assert.match(claudeHit.headers.get("user-agent") ?? "", /^claude-cli\/\d+\.\d+\.\d+/);
  assert.equal(claudeHit.headers.get("x-app"), "cli");
  assert.match(claudeHit.headers.get("anthropic-beta") ?? "", /oauth-2025-04-20/);
  assert.equal(claudeHit.headers.get("authorization"), "Bearer claude-access");
  const claudeSent = JSON.parse(claudeHit.body);
  assert.match(claudeSent.system[0].text, /^You are Claude Code, Anthropic's official CLI/);

  const anthropicAnswer = await testOf(gateway, "anthropic");
  assert.equal(anthropicAnswer.ok, true, anthropicAnswer.error);
  assert.equal(anthropic.hits[0].headers.get("x-api-key"), "sk-ant");
  assert.equal(
    anthropic.hits[0].headers.get("x-app"),
    null,
    "an API key needs no Claude Code identity",
  );
});

Deno.test("an unreachable account fails its test with no status; bad requests get clear errors", async () => {
  await using gateway = await startGateway({
    accounts: [{ id: "gone", upstream: refusedUrl() + "/v1" }],
  });
  const gone = await testOf(gateway, "gone");
  assert.equal(gone.ok, false);
  assert.equal(gone.status, undefined);
  assert.match(gone.error ?? "", /connection refused/);
  assert.equal((await gateway.account("gone")).state, "active");

  const unknown = await gateway.admin("/admin/accounts/nobody/test", { method: "POST" });
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
  const badField = await gateway.admin("/admin/accounts/gone/test", {
    method: "POST",
    json: { modle: "x" },
  });
  assert.equal(badField.status, 400);
  assert.equal((await badField.json()).error.param, "modle");
  const badJson = await gateway.admin("/admin/accounts/gone/test", { method: "POST", json: "{" });
  assert.equal(badJson.status, 400);
  await badJson.body?.cancel();
  const wrongMethod = await gateway.admin("/admin/accounts/gone/test");
  assert.equal(wrongMethod.status, 405);
  await wrongMethod.body?.cancel();
  const noToken = await gateway.admin("/admin/accounts/gone/test", { method: "POST", token: null });
  assert.equal(noToken.status, 401);
  await noToken.body?.cancel();
});
