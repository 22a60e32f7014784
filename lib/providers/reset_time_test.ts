/**
 * Table tests for reset-time parsing across the providers: every way an
 * upstream announces when a limit lifts, garbage and past values ignored, and
 * the latest reset winning.
 */

import assert from "node:assert/strict";
import { resetFromErrorBody } from "./codex/quota.ts";
import { parseGoDuration } from "./openai/rate_limits.ts";
import { announcedReset, parseRetryAfter, quotaWindows } from "./reset_time.ts";
import { MAX_RESET_HORIZON_MS, parseUnixSeconds } from "./time_values.ts";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const SECOND = 1000;
const unix = (ms: number) => Math.floor(ms / 1000);

Deno.test("parseRetryAfter reads seconds and HTTP dates", async (t) => {
  const rows: [string | null, number | undefined][] = [
    ["120", NOW + 120 * SECOND],
    [" 30 ", NOW + 30 * SECOND],
    ["1.5", NOW + 1500],
    [new Date(NOW + 90 * SECOND).toUTCString(), NOW + 90 * SECOND],
    ["Wed, 15 Jan 2025 13:00:00 GMT", NOW + 3600 * SECOND],
    // Ignored: absent, garbage, now or past, negative, absurdly far.
    [null, undefined],
    ["", undefined],
    ["soon", undefined],
    ["0", undefined],
    ["-5", undefined],
    ["Wed, 15 Jan 2025 11:00:00 GMT", undefined],
    [String(MAX_RESET_HORIZON_MS / 1000 + 60), undefined],
  ];
  for (const [value, expected] of rows) {
    await t.step(JSON.stringify(value), () => {
      assert.equal(parseRetryAfter(value, NOW), expected);
    });
  }
});

Deno.test("parseGoDuration reads Go durations as OpenAI sends them", async (t) => {
  const rows: [string | null, number | undefined][] = [
    ["6m0s", 360_000],
    ["1.5s", 1500],
    ["20ms", 20],
    ["1h2m3s", 3_723_000],
    ["2m30s", 150_000],
    ["0s", 0],
    ["500us", 0.5],
    [" 45s ", 45_000],
    [null, undefined],
    ["", undefined],
    ["5", undefined],
    ["-1s", undefined],
    ["six minutes", undefined],
    ["6m0s garbage", undefined],
  ];
  for (const [value, expected] of rows) {
    await t.step(JSON.stringify(value), () => {
      assert.equal(parseGoDuration(value), expected);
    });
  }
});

Deno.test("parseUnixSeconds accepts sane future Unix seconds only", async (t) => {
  const inAnHour = unix(NOW) + 3600;
  const rows: [unknown, number | undefined][] = [
    [inAnHour, inAnHour * SECOND],
    [String(inAnHour), inAnHour * SECOND],
    [unix(NOW) - 10, undefined],
    [0, undefined],
    [-1, undefined],
    ["", undefined],
    ["later", undefined],
    [null, undefined],
    [undefined, undefined],
    [{ at: inAnHour }, undefined],
    [Number.NaN, undefined],
    [unix(NOW) + MAX_RESET_HORIZON_MS / 1000 + 3600, undefined],
  ];
  for (const [value, expected] of rows) {
    await t.step(String(JSON.stringify(value)), () => {
      assert.equal(parseUnixSeconds(value, NOW), expected);
    });
  }
});

Deno.test("Codex windows are exhausted only at 100 percent or more", async (t) => {
  const rows: [Record<string, string>, { name: string; exhausted: boolean; resetAt?: number }[]][] =
    [
      [{
        "x-codex-primary-used-percent": "100",
        "x-codex-primary-reset-after-seconds": "600",
      }, [{ name: "codex-primary", exhausted: true, resetAt: NOW + 600 * SECOND }]],
      [{
        "x-codex-primary-used-percent": "150",
        "x-codex-primary-reset-after-seconds": "60",
      }, [{ name: "codex-primary", exhausted: true, resetAt: NOW + 60 * SECOND }]],
      [{
        "x-codex-primary-used-percent": "99.9",
        "x-codex-primary-reset-after-seconds": "60",
      }, [{ name: "codex-primary", exhausted: false, resetAt: NOW + 60 * SECOND }]],
      [{
        "x-codex-secondary-used-percent": "100",
        "x-codex-secondary-reset-after-seconds": "86400",
      }, [{ name: "codex-secondary", exhausted: true, resetAt: NOW + 86400 * SECOND }]],
      [{
        "x-codex-primary-used-percent": "garbage",
        "x-codex-primary-reset-after-seconds": "60",
      }, [{ name: "codex-primary", exhausted: false, resetAt: NOW + 60 * SECOND }]],
      [{}, []],
    ];
  for (const [headers, expected] of rows) {
    await t.step(JSON.stringify(headers), () => {
      const windows = quotaWindows(new Headers(headers), NOW).map((window) => ({
        name: window.name,
        exhausted: window.exhausted,
        resetAt: window.resetAt,
      }));
      assert.deepEqual(
        windows,
        expected.map((window) => ({ resetAt: undefined, ...window })),
      );
    });
  }
});

Deno.test("resetFromErrorBody reads resets_at and resets_in_seconds", async (t) => {
  const inAnHour = unix(NOW) + 3600;
  const rows: [string, unknown, number | undefined][] = [
    ["resets_at", { error: { resets_at: inAnHour } }, inAnHour * SECOND],
    ["resets_in_seconds", { error: { resets_in_seconds: 900 } }, NOW + 900 * SECOND],
    [
      "both: the later one",
      { error: { resets_at: unix(NOW) + 60, resets_in_seconds: 900 } },
      NOW + 900 * SECOND,
    ],
    [
      "both: the later one (other way round)",
      { error: { resets_at: inAnHour, resets_in_seconds: 5 } },
      inAnHour * SECOND,
    ],
    [
      "Codex usage_limit_reached",
      {
        error: {
          type: "usage_limit_reached",
          message: "The usage limit has been reached",
          plan_type: "plus",
          resets_at: inAnHour,
          resets_in_seconds: 3600,
        },
      },
      inAnHour * SECOND,
    ],
    ["past resets_at", { error: { resets_at: unix(NOW) - 60 } }, undefined],
    ["negative resets_in_seconds", { error: { resets_in_seconds: -5 } }, undefined],
    ["string resets_in_seconds", { error: { resets_in_seconds: "900" } }, undefined],
    ["garbage resets_at", { error: { resets_at: "tomorrow" } }, undefined],
    ["no error object", { resets_at: inAnHour }, undefined],
    ["not an object", "rate limited", undefined],
    ["null", null, undefined],
  ];
  for (const [name, body, expected] of rows) {
    await t.step(name, () => {
      assert.equal(resetFromErrorBody(body, NOW), expected);
    });
  }
});

Deno.test("announcedReset: the latest of every source present wins", async (t) => {
  const withDurations = { includeRateLimitDurations: true };
  const rows: [string, Record<string, string>, unknown, number | undefined][] = [
    ["nothing", {}, undefined, undefined],
    ["Retry-After alone", { "retry-after": "42" }, undefined, NOW + 42 * SECOND],
    [
      "anthropic-ratelimit-unified-reset (rejected)",
      {
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": String(unix(NOW) + 7200),
      },
      undefined,
      (unix(NOW) + 7200) * SECOND,
    ],
    [
      "anthropic-ratelimit-unified-reset while still allowed is no reset",
      {
        "anthropic-ratelimit-unified-status": "allowed",
        "anthropic-ratelimit-unified-reset": String(unix(NOW) + 7200),
      },
      undefined,
      undefined,
    ],
    [
      "anthropic per-window reset on a rejected window",
      {
        "anthropic-ratelimit-unified-5h-status": "rejected",
        "anthropic-ratelimit-unified-5h-reset": String(unix(NOW) + 5000),
        "anthropic-ratelimit-unified-7d-status": "allowed",
        "anthropic-ratelimit-unified-7d-reset": String(unix(NOW) + 500_000),
      },
      undefined,
      (unix(NOW) + 5000) * SECOND,
    ],
    [
      "an unexhausted Codex window is no reset",
      {
        "x-codex-primary-used-percent": "80",
        "x-codex-primary-reset-after-seconds": "600",
      },
      undefined,
      undefined,
    ],
    [
      "x-ratelimit-reset-tokens",
      { "x-ratelimit-reset-tokens": "6m0s" },
      undefined,
      NOW + 360 * SECOND,
    ],
    [
      "the latest wins: body beats headers",
      { "retry-after": "60", "x-ratelimit-reset-requests": "20ms" },
      { error: { resets_in_seconds: 600 } },
      NOW + 600 * SECOND,
    ],
    [
      "the latest wins: Codex secondary beats Retry-After and body",
      {
        "retry-after": "60",
        "x-codex-primary-used-percent": "100",
        "x-codex-primary-reset-after-seconds": "300",
        "x-codex-secondary-used-percent": "100",
        "x-codex-secondary-reset-after-seconds": "86400",
      },
      { error: { resets_in_seconds: 600 } },
      NOW + 86400 * SECOND,
    ],
    [
      "garbage next to a good value: the good value",
      {
        "retry-after": "whenever",
        "x-ratelimit-reset-requests": "1x",
        "x-ratelimit-reset-tokens": "1.5s",
      },
      { error: { resets_at: "nope" } },
      NOW + 1500,
    ],
    [
      "past values next to a good value: the good value",
      {
        "retry-after": new Date(NOW - 60 * SECOND).toUTCString(),
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": String(unix(NOW) - 60),
        "x-ratelimit-reset-requests": "2s",
      },
      { error: { resets_at: unix(NOW) - 100 } },
      NOW + 2 * SECOND,
    ],
    [
      "only garbage and past values",
      { "retry-after": "0", "x-ratelimit-reset-requests": "later" },
      { error: { resets_at: unix(NOW) - 100 } },
      undefined,
    ],
  ];
  for (const [name, headers, body, expected] of rows) {
    await t.step(name, () => {
      assert.equal(announcedReset(new Headers(headers), body, NOW, withDurations), expected);
    });
  }

  await t.step("x-ratelimit-reset-* durations count only when asked for", () => {
    const headers = new Headers({ "x-ratelimit-reset-requests": "6m0s" });
    assert.equal(
      announcedReset(headers, undefined, NOW, { includeRateLimitDurations: false }),
      undefined,
    );
    assert.equal(announcedReset(headers, undefined, NOW, withDurations), NOW + 360 * SECOND);
  });
});
