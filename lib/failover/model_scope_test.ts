/**
 * Table tests for model-scoped answers: which upstream errors rest the
 * (account, model) pair instead of the account, in both modes (which 401s
 * get half-open probes: `model_scope_probe_test.ts`). Provider details: `lib/failover/model_scope.ts`.
 */

import type { AccountEffect } from "../accounts/model.ts";
import {
  checkRows,
  type ClassifyRow,
  MODEL_SCOPE_POLICY,
  NOW,
  openaiError as openai,
  SECOND,
  unixSeconds as unix,
} from "./testdata/classify_rows.ts";

const IN_A_WEEK = NOW + 7 * 86_400 * SECOND;

const forModel = (
  model: string,
  reason: Extract<AccountEffect, { kind: "cooldown" }>["reason"],
  until: number,
): AccountEffect => ({ kind: "cooldown", reason, until, strike: false, model });

const anthropic = (message: string, type: string) => ({ type: "error", error: { type, message } });
const OPUS = "claude-opus-4-1";

const ROWS: ClassifyRow[] = [
  // The model is missing on this account.
  {
    name: "OpenAI 404 model_not_found",
    status: 404,
    body: openai(
      "The model `gpt-5` does not exist or you do not have access to it.",
      "invalid_request_error",
      "model_not_found",
    ),
    request: { model: "gpt-5" },
    passthrough: "failover",
    standard: "failover",
    effect: forModel("gpt-5", "modelUnavailable", NOW + 611 * SECOND),
  },
  {
    name: "Anthropic 404 not_found_error naming the model",
    status: 404,
    body: anthropic("model: claude-nope-9", "not_found_error"),
    request: { model: "claude-nope-9" },
    passthrough: "failover",
    standard: "failover",
    effect: forModel("claude-nope-9", "modelUnavailable", NOW + 611 * SECOND),
  },
  {
    name: "Codex 400: the model is not supported with a ChatGPT account",
    status: 400,
    body: {
      detail: "The 'gpt-5-pro' model is not supported when using Codex with a ChatGPT account.",
    },
    request: { model: "gpt-5-pro" },
    passthrough: "failover",
    standard: "failover",
    effect: forModel("gpt-5-pro", "modelUnavailable", NOW + 611 * SECOND),
  },
  {
    name: "a 404 for some other resource stays passed back",
    status: 404,
    body: openai("No such file: file-abc", "invalid_request_error"),
    request: { model: "gpt-5" },
    passthrough: "passback",
    standard: "passback",
    effect: { kind: "none" },
  },
  {
    name: "a 400 about the request's model but not about its availability stays passed back",
    status: 400,
    body: openai("gpt-5 does not support temperature 3", "invalid_request_error"),
    request: { model: "gpt-5" },
    passthrough: "passback",
    standard: "passback",
    effect: { kind: "none" },
  },

  // The model is at capacity.
  {
    name: "Codex: selected model is at capacity",
    status: 429,
    body: openai("Selected model is at capacity. Please try a different model.", "server_error"),
    request: { model: "gpt-5-codex" },
    passthrough: "failover",
    standard: "failover",
    effect: forModel("gpt-5-codex", "overloaded", NOW + 41 * SECOND),
  },
  {
    name: "OpenAI 503: that model is overloaded",
    status: 503,
    body: openai("That model is currently overloaded with other requests.", "server_error"),
    request: { model: "gpt-4o" },
    passthrough: "failover",
    standard: "failover",
    effect: forModel("gpt-4o", "overloaded", NOW + 41 * SECOND),
  },
  {
    name: "Anthropic 529 Overloaded names no model: the account rests",
    status: 529,
    body: anthropic("Overloaded", "overloaded_error"),
    request: { model: OPUS },
    passthrough: "failover",
    standard: "failover",
    effect: { kind: "cooldown", reason: "overloaded", until: NOW + 41 * SECOND, strike: false },
  },

  // A limit of the model.
  {
    name: "Anthropic 429 with the 7d_opus window rejected, for an Opus request",
    status: 429,
    headers: {
      "retry-after": "10",
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-7d_opus-status": "rejected",
      "anthropic-ratelimit-unified-7d_opus-reset": unix(IN_A_WEEK),
      "anthropic-ratelimit-unified-5h-status": "allowed",
      "anthropic-ratelimit-unified-5h-reset": unix(NOW + 3600 * SECOND),
    },
    body: anthropic("This request would exceed your account's rate limit.", "rate_limit_error"),
    request: { model: OPUS },
    passthrough: "failover",
    standard: "failover",
    effect: forModel(OPUS, "quota", Math.floor(IN_A_WEEK / 1000) * 1000),
  },
  {
    name: "the same 429 for a Sonnet request rests the account",
    status: 429,
    headers: {
      "anthropic-ratelimit-unified-7d_opus-status": "rejected",
      "anthropic-ratelimit-unified-7d_opus-reset": unix(IN_A_WEEK),
    },
    body: anthropic("This request would exceed your account's rate limit.", "rate_limit_error"),
    request: { model: "claude-sonnet-4-5" },
    passthrough: "failover",
    standard: "failover",
    effect: {
      kind: "cooldown",
      reason: "rateLimited",
      until: Math.floor(IN_A_WEEK / 1000) * 1000,
      strike: false,
    },
  },
  {
    name: "an exhausted account-wide window (5h) wins over the model window",
    status: 429,
    headers: {
      "anthropic-ratelimit-unified-5h-status": "rejected",
      "anthropic-ratelimit-unified-5h-reset": unix(NOW + 3600 * SECOND),
      "anthropic-ratelimit-unified-7d_opus-status": "rejected",
      "anthropic-ratelimit-unified-7d_opus-reset": unix(IN_A_WEEK),
    },
    body: anthropic("rate limited", "rate_limit_error"),
    request: { model: OPUS },
    passthrough: "failover",
    standard: "failover",
    effect: {
      kind: "cooldown",
      reason: "rateLimited",
      until: Math.floor(IN_A_WEEK / 1000) * 1000,
      strike: false,
    },
  },
  {
    name: "representative-claim seven_day_opus scopes the overall reset to the model",
    status: 429,
    headers: {
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": unix(IN_A_WEEK),
      "anthropic-ratelimit-unified-representative-claim": "seven_day_opus",
    },
    body: anthropic("rate limited", "rate_limit_error"),
    request: { model: OPUS },
    passthrough: "failover",
    standard: "failover",
    effect: forModel(OPUS, "quota", Math.floor(IN_A_WEEK / 1000) * 1000),
  },
  {
    name: "representative-claim five_hour is account-wide",
    status: 429,
    headers: {
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": unix(NOW + 3600 * SECOND),
      "anthropic-ratelimit-unified-representative-claim": "five_hour",
    },
    body: anthropic("Opus is fine, the session is not", "rate_limit_error"),
    request: { model: OPUS },
    passthrough: "failover",
    standard: "failover",
    effect: {
      kind: "cooldown",
      reason: "rateLimited",
      until: Math.floor((NOW + 3600 * SECOND) / 1000) * 1000,
      strike: false,
    },
  },
  {
    name: "a 429 message naming the model family (an Opus weekly limit)",
    status: 429,
    body: anthropic("Opus weekly limit reached", "rate_limit_error"),
    request: { model: OPUS },
    passthrough: "failover",
    standard: "failover",
    effect: forModel(OPUS, "rateLimited", NOW + 71 * SECOND),
  },
  {
    name: "OpenAI per-model rate limit, with its reset duration",
    status: 429,
    headers: { "x-ratelimit-reset-tokens": "6s" },
    body: openai(
      "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000.",
      "tokens",
      "rate_limit_exceeded",
    ),
    request: { model: "gpt-4o" },
    passthrough: "failover",
    standard: "failover",
    effect: forModel("gpt-4o", "rateLimited", NOW + 6 * SECOND),
  },
  {
    name: "a message naming a longer model name is not about this model",
    status: 429,
    body: openai("Rate limit reached for gpt-4o-mini in organization org-abc", "tokens"),
    request: { model: "gpt-4o" },
    passthrough: "failover",
    standard: "failover",
    effect: { kind: "cooldown", reason: "rateLimited", until: NOW + 71 * SECOND, strike: false },
  },
  {
    name: "OpenAI insufficient_quota names no model: the account rests",
    status: 429,
    body: openai(
      "You exceeded your current quota, please check your plan and billing details.",
      "insufficient_quota",
      "insufficient_quota",
    ),
    request: { model: "gpt-4o" },
    passthrough: "failover",
    standard: "failover",
    effect: { kind: "cooldown", reason: "rateLimited", until: NOW + 71 * SECOND, strike: false },
  },
  {
    name: "without the request's model nothing is model-scoped",
    status: 404,
    body: openai("The model `gpt-5` does not exist", "invalid_request_error", "model_not_found"),
    request: {},
    passthrough: "passback",
    standard: "passback",
    effect: { kind: "none" },
  },
];

Deno.test("model-scoped answers, in both modes", async (t) => {
  await checkRows(t, ROWS, MODEL_SCOPE_POLICY);
});
