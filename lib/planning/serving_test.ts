/**
 * Table tests for capability-aware planning: which accounts can serve a
 * request natively, through translation, or not at all (`serving.ts`), and
 * the planner putting native accounts before translated ones of equal
 * priority (`planner.ts`).
 */

import assert from "node:assert/strict";
import { HealthSnapshot } from "../accounts/health_snapshot.ts";
import type { Account, Platform } from "../config/types.ts";
import type { Api } from "../protocols/translate/ir.ts";
import { planAttempts } from "./planner.ts";
import { type ServingMode, servingMode, type ServingRequest, unservedReason } from "./serving.ts";

function account(id: string, platform: Platform, extra: Partial<Account> = {}): Account {
  return {
    id,
    platform,
    passthrough: false,
    baseUrl: "http://x",
    apiKey: "k",
    priority: 1,
    ...extra,
  };
}

const oauth = {
  accessToken: "t",
  refreshToken: "r",
  expiresAt: 0,
  tokenUrl: "http://t",
  clientId: "c",
};
const OPENAI = account("openai", "openai");
const CODEX = account("codex", "openai", { oauth });
const CODEX_URL = account("codex-url", "openai", {
  baseUrl: "https://chatgpt.com/backend-api/codex",
});
const ANTHROPIC = account("anthropic", "anthropic");
const CLAUDE = account("claude", "anthropic", { oauth });

function request(api: Api | undefined, extra: Partial<ServingRequest> = {}): ServingRequest {
  const platform: Platform = api === "messages" ? "anthropic" : "openai";
  return { platform, api, translate: true, claudeCode: () => false, ...extra };
}

const ROWS: [string, Account, ServingRequest, ServingMode | null][] = [
  ["openai key, chat", OPENAI, request("chat"), "native"],
  ["openai key, responses", OPENAI, request("responses"), "native"],
  ["openai key, messages", OPENAI, request("messages"), "translated"],
  ["openai key, embeddings", OPENAI, request(undefined), "native"],
  ["codex, chat", CODEX, request("chat"), "translated"],
  ["codex by base URL, chat", CODEX_URL, request("chat"), "translated"],
  ["codex, responses", CODEX, request("responses"), "native"],
  ["codex, messages", CODEX, request("messages"), "translated"],
  ["codex, chat, translation off", CODEX, request("chat", { translate: false }), null],
  ["anthropic key, messages", ANTHROPIC, request("messages"), "native"],
  ["anthropic key, chat", ANTHROPIC, request("chat"), "translated"],
  ["anthropic key, embeddings", ANTHROPIC, request(undefined), null],
  [
    "anthropic key, count_tokens",
    ANTHROPIC,
    { ...request(undefined), platform: "anthropic" },
    "native",
  ],
  ["claude, Claude Code", CLAUDE, request("messages", { claudeCode: () => true }), "native"],
  ["claude, another Messages client", CLAUDE, request("messages"), null],
  ["claude, a translated chat request", CLAUDE, request("chat"), null],
  [
    "anthropic key, an OpenAI client's model listing",
    ANTHROPIC,
    request(undefined, { listing: true }),
    "translated",
  ],
  [
    "openai key, an Anthropic client's model listing",
    OPENAI,
    { ...request(undefined, { listing: true }), platform: "anthropic" },
    "translated",
  ],
  [
    "anthropic key, listing, translation off",
    ANTHROPIC,
    request(undefined, {
      listing: true,
      translate: false,
    }),
    null,
  ],
  ["claude, an OpenAI client's model listing", CLAUDE, request(undefined, { listing: true }), null],
  [
    "codex, an Anthropic client's model listing",
    CODEX,
    { ...request(undefined, { listing: true }), platform: "anthropic" },
    null,
  ],
  [
    "codex, an OpenAI client's model listing",
    CODEX,
    request(undefined, { listing: true }),
    "native",
  ],
  [
    "claude, translated even from Claude Code",
    CLAUDE,
    request("responses", { claudeCode: () => true }),
    null,
  ],
];

for (const [name, subject, req, expected] of ROWS) {
  Deno.test(`serving mode: ${name}`, () => {
    assert.equal(servingMode(subject, req), expected);
  });
}

const health = new HealthSnapshot(new Map(), 300_000);

Deno.test("planner: native before translated at equal priority, priority first", () => {
  const chat = request("chat");
  const plan = (candidates: Account[], lastUsed: (id: string) => number = () => 0) =>
    planAttempts({
      candidates,
      health,
      now: 1,
      lastUsed,
      mode: (a) => servingMode(a, chat),
    });
  // The README's example group: Codex listed first, the OpenAI key second.
  assert.deepEqual(plan([CODEX, OPENAI]), { kind: "ready", accounts: [OPENAI, CODEX] });
  // Native first even when it was used more recently.
  const recent = (id: string) => id === "openai" ? 5 : 0;
  assert.deepEqual(plan([CODEX, OPENAI], recent), { kind: "ready", accounts: [OPENAI, CODEX] });
  // A lower priority number wins over native.
  const first = { ...CODEX, priority: 0 };
  assert.deepEqual(plan([OPENAI, first]), { kind: "ready", accounts: [first, OPENAI] });
  // Accounts that cannot serve are left out; none left is unavailable.
  assert.deepEqual(plan([CLAUDE, ANTHROPIC]), { kind: "ready", accounts: [ANTHROPIC] });
  assert.equal(plan([CLAUDE]).kind, "unavailable");
});

const CLAUDE_CODE_ONLY = "Claude subscription accounts serve Claude Code only";

const UNSERVED: [string, Account[], ServingRequest, string | undefined][] = [
  ["claude only, another Messages client", [CLAUDE], request("messages"), CLAUDE_CODE_ONLY],
  ["claude only, a chat client (translation)", [CLAUDE], request("chat"), CLAUDE_CODE_ONLY],
  [
    "claude only, Claude Code",
    [CLAUDE],
    request("messages", { claudeCode: () => true }),
    undefined,
  ],
  ["claude and a key, another client", [CLAUDE, ANTHROPIC], request("messages"), undefined],
  [
    "claude and codex, another client (translated)",
    [CLAUDE, CODEX],
    request("messages"),
    undefined,
  ],
  [
    "codex, chat, translation off",
    [CODEX],
    request("chat", { translate: false }),
    "translation is off for this group, and Codex accounts do not serve the Chat Completions API",
  ],
  [
    "claude and codex, translation off, chat",
    [CLAUDE, CODEX],
    request("chat", { translate: false }),
    `${CLAUDE_CODE_ONLY}; translation is off for this group, and Codex accounts ` +
    "do not serve the Chat Completions API",
  ],
  ["codex, chat, translation on", [CODEX], request("chat"), undefined],
  ["no accounts at all (admission's answer)", [], request("chat"), undefined],
  [
    "claude only, an OpenAI client's model listing",
    [CLAUDE],
    request(undefined, { listing: true }),
    "Claude subscription accounts do not list models for openai clients",
  ],
  [
    "anthropic key, embeddings",
    [ANTHROPIC],
    request(undefined),
    "anthropic accounts do not serve this openai endpoint",
  ],
];

for (const [name, accounts, req, expected] of UNSERVED) {
  Deno.test(`unserved reason: ${name}`, () => {
    assert.equal(unservedReason(accounts, req), expected);
  });
}
