/**
 * Table tests for the classifier's 429 rows (the rest of the account state
 * table in `classify_test.ts`): a rate limit cools the account down until the
 * reset the upstream announced (headers of either platform, a Codex body's
 * `resets_at`), else for `rateLimited`; a spent quota for `quota`.
 */

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
];

Deno.test("429: the announced reset, else rateLimited or quota, in both modes", async (t) => {
  await checkRows(t, ROWS, STATE_TABLE_POLICY);
});
