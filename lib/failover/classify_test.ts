/**
 * Table tests for the pure failover classifier: every row of the account
 * state table in issue 2, in passthrough and in standard mode.
 */

import assert from "node:assert/strict";
import type { FailoverPolicy } from "../config/types.ts";
import { classifyConnectionFailure, classifyResponse } from "./classify.ts";
import {
  checkRows,
  type ClassifyRow,
  cooldown,
  IN_AN_HOUR,
  NOW,
  SECOND,
  STATE_TABLE_POLICY,
  unixSeconds,
} from "./testdata/classify_rows.ts";

const ROWS: ClassifyRow[] = [
  // Success
  ...[200, 201, 204, 304].map((status): ClassifyRow => ({
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
  ...[500, 502, 503, 504].map((status): ClassifyRow => ({
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
  ...[401, 402].map((status): ClassifyRow => ({
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
  ...[400, 404, 409, 413, 422].map((status): ClassifyRow => ({
    name: `${status}`,
    status,
    body: { error: { message: "your fault", type: "invalid_request_error" } },
    passthrough: "passback",
    standard: "passback",
    effect: { kind: "none" },
  })),
];

Deno.test("classifyResponse follows the account state table in both modes", async (t) => {
  await checkRows(t, ROWS, STATE_TABLE_POLICY);
});

Deno.test("the mode's status list decides only whether the request moves on", () => {
  const policy: FailoverPolicy = {
    ...STATE_TABLE_POLICY,
    passthroughStatuses: [403],
    standardStatuses: [],
  };
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
    { ...STATE_TABLE_POLICY, standardStatuses: [418] },
    NOW,
  );
  assert.deepEqual(custom, { outcome: "failover", effect: { kind: "none" } });
});

Deno.test("a non-JSON error body classifies by status alone", () => {
  const verdict = classifyResponse(
    { status: 403, headers: new Headers(), body: '{"error": truncated' },
    true,
    STATE_TABLE_POLICY,
    NOW,
  );
  assert.deepEqual(verdict, {
    outcome: "failover",
    effect: cooldown("forbidden", NOW + 601 * SECOND, true),
  });
});

Deno.test("connection failures and headers timeouts fail over and cool down as unreachable", () => {
  assert.deepEqual(classifyConnectionFailure(STATE_TABLE_POLICY, NOW), {
    outcome: "failover",
    effect: cooldown("unreachable", NOW + 33 * SECOND),
  });
});
