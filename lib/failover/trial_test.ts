import assert from "node:assert/strict";
import type { Account } from "../config/types.ts";
import type { AccountEffect } from "../accounts/model.ts";
import { errorText, lastingEffects, trialKind, trialModel, trialRequest } from "./trial.ts";

const base: Account = {
  id: "a",
  platform: "openai",
  passthrough: false,
  baseUrl: "https://api.openai.com/v1",
  apiKey: "sk",
  priority: 0,
};
const oauth = {
  accessToken: "",
  refreshToken: "r",
  expiresAt: 0,
  tokenUrl: "https://x",
  clientId: "c",
};

Deno.test("trialKind and trialModel by account kind and models", () => {
  const cases: [Account, string, string][] = [
    [base, "openai", "gpt-4o-mini"],
    [{ ...base, oauth }, "codex", "gpt-5"],
    [{ ...base, baseUrl: "https://chatgpt.com/backend-api/codex" }, "codex", "gpt-5"],
    [{ ...base, platform: "anthropic" }, "anthropic", "claude-haiku-4-5"],
    [{ ...base, platform: "anthropic", oauth }, "claude", "claude-haiku-4-5"],
    [{ ...base, models: ["gpt-*", "gpt-4.1"] }, "openai", "gpt-4.1"],
    [{ ...base, models: { "fast": "gpt-4.1-mini" } }, "openai", "gpt-4.1-mini"],
  ];
  for (const [account, kind, model] of cases) {
    assert.equal(trialKind(account), kind);
    assert.equal(trialModel(account), model);
    assert.equal(trialModel(account, "asked"), "asked");
  }
});

Deno.test("trialRequest shapes the request per kind", () => {
  const codex = trialRequest({ ...base, oauth }, "gpt-5", "hi");
  assert.equal(codex.upstreamPath, "/responses");
  assert.equal(codex.body.store, false);
  assert.equal(codex.body.stream, true);
  assert.equal(typeof codex.body.instructions, "string");
  const claude = trialRequest({ ...base, platform: "anthropic", oauth }, "m", "hi");
  assert.equal(claude.upstreamPath, "/messages");
  assert.equal(claude.headers["x-app"], "cli");
  const anthropic = trialRequest({ ...base, platform: "anthropic" }, "m", "hi");
  assert.equal(anthropic.headers["x-app"], undefined);
  assert.equal(anthropic.body.max_tokens, 16);
  const openai = trialRequest(base, "m", "hi");
  assert.equal(openai.upstreamPath, "/chat/completions");
  assert.deepEqual(openai.body.messages, [{ role: "user", content: "hi" }]);
});

Deno.test("errorText reads the message of either API's error shape", () => {
  assert.equal(errorText(JSON.stringify({ error: { message: "bad key" } })), "bad key");
  assert.equal(errorText(JSON.stringify({ type: "error", error: { message: "x" } })), "x");
  assert.equal(
    errorText(JSON.stringify({ detail: "Store must be set to false" })),
    "Store must be set to false",
  );
  assert.equal(errorText("plain"), "plain");
  assert.equal(errorText(""), "no answer");
  assert.equal(errorText("anything", true), "timed out");
});

Deno.test("lastingEffects keeps what disables an account and leaves cooldowns and passes", () => {
  const revoked: AccountEffect = { kind: "disable", reason: "upstream answered 401" };
  const reauth: AccountEffect = {
    kind: "disable",
    reason: "OAuth refresh rejected (invalid_grant)",
    temporary: false,
    reauth: true,
  };
  const oauth401: AccountEffect = { kind: "disable", reason: "401", temporary: true };
  const cool = (reason: "rateLimited" | "serverError" | "unreachable" | "forbidden") =>
    ({ kind: "cooldown", reason, until: 1, strike: reason === "forbidden" }) as const;
  const rows: [AccountEffect[], AccountEffect[]][] = [
    [[revoked], [revoked]],
    [[reauth], [reauth]],
    [[oauth401], [oauth401]],
    [[cool("rateLimited")], []],
    [[cool("serverError")], []],
    [[cool("unreachable")], []],
    [[cool("forbidden")], []],
    [[{ kind: "healthy" }], []],
    [[{ kind: "none" }], []],
    [[cool("unreachable"), revoked], [revoked]],
    [[], []],
  ];
  for (const [effects, lasting] of rows) assert.deepEqual(lastingEffects(effects), lasting);
});
