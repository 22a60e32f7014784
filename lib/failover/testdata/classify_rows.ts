/**
 * The table-test harness the classifier's tests share (`classify_test.ts`,
 * `classify_429_test.ts`, `model_scope_test.ts`, `model_scope_probe_test.ts`):
 * a row is one upstream answer and what it does to the account, in
 * passthrough and in standard mode; each row runs as a step per mode.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { AccountEffect } from "../../accounts/model.ts";
import { DEFAULT_FAILOVER } from "../../config/defaults.ts";
import type { FailoverPolicy } from "../../config/types.ts";
import { classifyResponse, type Outcome, type RequestFacts } from "../classify.ts";

/** The moment every row is classified at. */
export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
export const SECOND = 1000;

/** Epoch `ms` as a header's Unix seconds. */
export const unixSeconds = (ms: number) => String(Math.floor(ms / 1000));
export const IN_AN_HOUR = NOW + 3600 * SECOND;

/** The default status lists, with a distinct cooldown per reason so rows cannot pass by accident. */
export const STATE_TABLE_POLICY: FailoverPolicy = {
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

/** The default policy (the model-scope tests'), with a distinct cooldown per reason so a row cannot pass by accident. */
export const MODEL_SCOPE_POLICY: FailoverPolicy = {
  ...DEFAULT_FAILOVER,
  cooldownSeconds: {
    forbidden: 611,
    rateLimited: 71,
    overloaded: 41,
    serverError: 42,
    unreachable: 43,
  },
};

/** One upstream answer and its verdict in both modes. */
export interface ClassifyRow {
  name: string;
  status: number;
  headers?: Record<string, string>;
  /** The error body: a string as it is, anything else as its JSON. */
  body?: unknown;
  /** What the request was (an OAuth account's, the model asked for). */
  request?: RequestFacts;
  /** Outcome in passthrough mode, then in standard mode. */
  passthrough: Outcome;
  standard: Outcome;
  effect: AccountEffect;
}

/** An OpenAI error body. */
export const openaiError = (message: string, type: string, code: string | null = null) => ({
  error: { message, type, param: null, code },
});

/** A cooldown of the whole account. */
export const cooldown = (
  reason: Extract<AccountEffect, { kind: "cooldown" }>["reason"],
  until: number,
  strike = false,
): AccountEffect => ({ kind: "cooldown", reason, until, strike });

/** Runs each row, in each mode, as a step of `t`. */
export async function checkRows(
  t: Deno.TestContext,
  rows: readonly ClassifyRow[],
  policy: FailoverPolicy,
): Promise<void> {
  for (const row of rows) {
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
          policy,
          NOW,
          undefined,
          row.request,
        );
        assert.deepEqual(verdict, { outcome: row[mode], effect: row.effect });
      });
    }
  }
}
