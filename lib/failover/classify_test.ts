/**
 * Table tests for the pure failover classifier: every row of the account
 * state table in issue 2, in passthrough and in standard mode.
 */

import assert from "node:assert/strict";
import type { FailoverPolicy } from "../config/types.ts";
import type { AccountEffect } from "../accounts/model.ts";
import { classifyConnectionFailure, classifyResponse, type Outcome } from "./classify.ts";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const SECOND = 1000;

/** The default status lists, with a distinct cooldown per reason so rows cannot pass by accident. */
const POLICY: FailoverPolicy = {
  maxSwitches: 3,
  headersTimeoutSeconds: 600,
  forbiddenStrikes: 3,
  cooldownSeconds: {
    forbidden: 601,
    rateLimited: 61,
    overloaded: 31,
    serverError: 32,
    unreachable: 33,
  },
  passthroughStatuses: [403, 429, 529],
  standardStatuses: [401, 402, 403, 429, 500, 502, 503, 504, 529],
};

interface Row {
  name: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Outcome in passthrough mode, then in standard mode. */
  passthrough: Outcome;
  standard: Outcome;
  effect: AccountEffect;
}

const cooldown = (
  reason: Extract<AccountEffect, { kind: "cooldown" }>["reason"],
  until: number,
  strike = false,
): AccountEffect => ({ kind: "cooldown", reason, until, strike });

const unixSeconds = (ms: number) => String(Math.floor(ms / 1000));
const IN_AN_HOUR = NOW + 3600 * SECOND;

const ROWS: Row[] = [
  // Success
  ...[200, 201, 204, 304].map((status): Row => ({
    name: `${status} success`,
    status,
    passthrough: "success",
    standard: "success",
    effect: { kind: "healthy" },
  })),

  // 403 without reset information: strike and `forbidden` cooldown.
  {
    name: "403 usage limit reached (the motivating case)",
    status: 403,
    body: { error: { message: "usage limit reached", type: "forbidden_error" } },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("forbidden", NOW + 601 * SECOND, true),
  },
  {
    name: "403 with an empty body",
    status: 403,
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("forbidden", NOW + 601 * SECOND, true),
  },
  {
    name: "403 with a Codex window not yet exhausted (99%) is not reset information",
    status: 403,
    headers: {
      "x-codex-primary-used-percent": "99",
      "x-codex-primary-reset-after-seconds": "3600",
    },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("forbidden", NOW + 601 * SECOND, true),
  },
  {
    name: "403 with a garbage Retry-After is not reset information",
    status: 403,
    headers: { "retry-after": "soon" },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("forbidden", NOW + 601 * SECOND, true),
  },

  // 403 with reset information: cooldown until that reset, no strike.
  {
    name: "403 with Retry-After seconds",
    status: 403,
    headers: { "retry-after": "120" },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("quota", NOW + 120 * SECOND),
  },
  {
    name: "403 with an exhausted Codex primary window",
    status: 403,
    headers: {
      "x-codex-primary-used-percent": "100",
      "x-codex-primary-reset-after-seconds": "3600",
    },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("quota", IN_AN_HOUR),
  },
  {
    name: "403 with body error.resets_at",
    status: 403,
    body: {
      error: { message: "usage limit reached", type: "forbidden_error", resets_at: 1736946000 },
    },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("quota", 1736946000 * SECOND),
  },
  {
    name: "403 with anthropic-ratelimit-unified-reset (rejected)",
    status: 403,
    headers: {
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": unixSeconds(IN_AN_HOUR),
    },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("quota", IN_AN_HOUR),
  },

  // 429: the announced reset, else `rateLimited`.
  {
    name: "429 without reset information",
    status: 429,
    body: { error: { message: "slow down", type: "rate_limit_error" } },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 61 * SECOND),
  },
  {
    name: "429 with Retry-After seconds",
    status: 429,
    headers: { "retry-after": "7" },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 7 * SECOND),
  },
  {
    name: "429 with Retry-After as an HTTP date",
    status: 429,
    headers: { "retry-after": new Date(NOW + 90 * SECOND).toUTCString() },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 90 * SECOND),
  },
  {
    name: "429 with an exhausted Codex secondary window",
    status: 429,
    headers: {
      "x-codex-primary-used-percent": "40",
      "x-codex-primary-reset-after-seconds": "60",
      "x-codex-secondary-used-percent": "100",
      "x-codex-secondary-reset-after-seconds": "7200",
    },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 7200 * SECOND),
  },
  {
    name: "429 Codex usage_limit_reached with resets_in_seconds",
    status: 429,
    body: {
      error: { type: "usage_limit_reached", message: "limit", resets_in_seconds: 900 },
    },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("quota", NOW + 900 * SECOND),
  },
  {
    name: "429 Codex usage_limit_reached with resets_at",
    status: 429,
    body: { error: { type: "usage_limit_reached", resets_at: Number(unixSeconds(IN_AN_HOUR)) } },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("quota", IN_AN_HOUR),
  },
  {
    name: "429 with anthropic-ratelimit-unified-reset",
    status: 429,
    headers: {
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": unixSeconds(NOW + 1800 * SECOND),
    },
    body: { type: "error", error: { type: "rate_limit_error", message: "limit" } },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 1800 * SECOND),
  },
  {
    name: "429 with x-ratelimit-reset-requests 6m0s",
    status: 429,
    headers: { "x-ratelimit-reset-requests": "6m0s" },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 360 * SECOND),
  },
  {
    name: "429 with x-ratelimit-reset-tokens 1.5s",
    status: 429,
    headers: { "x-ratelimit-reset-tokens": "1.5s" },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 1500),
  },
  {
    name: "429 with several sources: the latest reset wins",
    status: 429,
    headers: {
      "retry-after": "30",
      "x-ratelimit-reset-requests": "20ms",
      "x-ratelimit-reset-tokens": "2m0s",
      "x-codex-primary-used-percent": "100",
      "x-codex-primary-reset-after-seconds": "45",
    },
    body: { error: { type: "rate_limit_error", resets_in_seconds: 10 } },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 120 * SECOND),
  },
  {
    name: "429 with only garbage and past resets falls back to rateLimited",
    status: 429,
    headers: {
      "retry-after": "tomorrow-ish",
      "x-ratelimit-reset-requests": "soon",
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": unixSeconds(NOW - 60 * SECOND),
    },
    body: { error: { type: "rate_limit_error", resets_at: "never" } },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("rateLimited", NOW + 61 * SECOND),
  },

  // 529 or an overloaded_error body: `overloaded`.
  {
    name: "529",
    status: 529,
    body: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("overloaded", NOW + 31 * SECOND),
  },
  {
    name: "529 with no body",
    status: 529,
    passthrough: "failover",
    standard: "failover",
    effect: cooldown("overloaded", NOW + 31 * SECOND),
  },
  {
    name: "503 with an overloaded_error body",
    status: 503,
    body: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    passthrough: "passback",
    standard: "failover",
    effect: cooldown("overloaded", NOW + 31 * SECOND),
  },
  {
    name: "400 with an overloaded_error body (passed back, but the account rests)",
    status: 400,
    body: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    passthrough: "passback",
    standard: "passback",
    effect: cooldown("overloaded", NOW + 31 * SECOND),
  },

  // 500, 502, 503, 504: `serverError`; only standard mode moves on.
  ...[500, 502, 503, 504].map((status): Row => ({
    name: `${status}`,
    status,
    body: { error: { message: "upstream trouble", type: "server_error" } },
    passthrough: "passback",
    standard: "failover",
    effect: cooldown("serverError", NOW + 32 * SECOND),
  })),
  {
    name: "502 with an HTML body",
    status: 502,
    body: "<html>Bad Gateway</html>",
    passthrough: "passback",
    standard: "failover",
    effect: cooldown("serverError", NOW + 32 * SECOND),
  },

  // 401, 402: the credential is dead.
  ...[401, 402].map((status): Row => ({
    name: `${status}`,
    status,
    body: { error: { message: "nope", type: "invalid_request_error" } },
    passthrough: "passback",
    standard: "failover",
    effect: {
      kind: "disable",
      reason: `upstream answered ${status} (invalid_request_error)`,
      temporary: false,
    },
  })),

  // Anything else of 400 or more: passed back, account untouched.
  ...[400, 404, 409, 413, 422].map((status): Row => ({
    name: `${status}`,
    status,
    body: { error: { message: "your fault", type: "invalid_request_error" } },
    passthrough: "passback",
    standard: "passback",
    effect: { kind: "none" },
  })),
];

Deno.test("classifyResponse follows the account state table in both modes", async (t) => {
  for (const row of ROWS) {
    for (const mode of ["passthrough", "standard"] as const) {
      await t.step(`${row.name} (${mode})`, () => {
        const body = row.body === undefined
          ? ""
          : typeof row.body === "string"
          ? row.body
          : JSON.stringify(row.body);
        const verdict = classifyResponse(
          { status: row.status, headers: new Headers(row.headers), body },
          mode === "passthrough",
          POLICY,
          NOW,
        );
        assert.deepEqual(verdict, { outcome: row[mode], effect: row.effect });
      });
    }
  }
});

Deno.test("the mode's status list decides only whether the request moves on", () => {
  const policy: FailoverPolicy = { ...POLICY, passthroughStatuses: [403], standardStatuses: [] };
  const answer = { status: 429, headers: new Headers({ "retry-after": "5" }), body: "" };
  const passthrough = classifyResponse(answer, true, policy, NOW);
  const standard = classifyResponse(answer, false, policy, NOW);
  assert.equal(passthrough.outcome, "passback");
  assert.equal(standard.outcome, "passback");
  // The account still cools down exactly as the table says.
  assert.deepEqual(passthrough.effect, cooldown("rateLimited", NOW + 5 * SECOND));
  assert.deepEqual(standard.effect, passthrough.effect);

  const custom = classifyResponse(
    { status: 418, headers: new Headers(), body: "" },
    false,
    { ...POLICY, standardStatuses: [418] },
    NOW,
  );
  assert.deepEqual(custom, { outcome: "failover", effect: { kind: "none" } });
});

Deno.test("a non-JSON error body classifies by status alone", () => {
  const verdict = classifyResponse(
    { status: 403, headers: new Headers(), body: '{"error": truncated' },
    true,
    POLICY,
    NOW,
  );
  assert.deepEqual(verdict, {
    outcome: "failover",
    effect: cooldown("forbidden", NOW + 601 * SECOND, true),
  });
});

Deno.test("connection failures and headers timeouts fail over and cool down as unreachable", () => {
  assert.deepEqual(classifyConnectionFailure(POLICY, NOW), {
    outcome: "failover",
    effect: cooldown("unreachable", NOW + 33 * SECOND),
  });
});
