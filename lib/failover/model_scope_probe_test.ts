/**
 * Table tests for the 401s and 402s that disable an account, and which of
 * those disables get half-open probes (the model-scoped answers are in
 * `model_scope_test.ts`): an OAuth account's 401 may be a token the next
 * refresh mends, an API key's is permanent, and a 402 always is.
 */

import {
  checkRows,
  type ClassifyRow,
  MODEL_SCOPE_POLICY,
  openaiError as openai,
} from "./testdata/classify_rows.ts";

const ROWS: ClassifyRow[] = [
  // 401 and 402: which disables get half-open probes.
  {
    name: "an API key's 401 is permanent, even if it names the model",
    status: 401,
    body: openai("Incorrect API key provided for gpt-4o", "invalid_request_error"),
    request: { model: "gpt-4o" },
    passthrough: "passback",
    standard: "failover",
    effect: {
      kind: "disable",
      reason: "upstream answered 401 (invalid_request_error)",
      temporary: false,
    },
  },
  {
    name: "an OAuth account's 401 (after a refresh and a retry) is temporary",
    status: 401,
    body: openai("token revoked", "invalid_request_error"),
    request: { oauth: true },
    passthrough: "passback",
    standard: "failover",
    effect: {
      kind: "disable",
      reason: "upstream answered 401 (invalid_request_error)",
      temporary: true,
    },
  },
  {
    name: "an OAuth account's 402 is permanent",
    status: 402,
    body: openai("payment required", "billing_error"),
    request: { oauth: true },
    passthrough: "passback",
    standard: "failover",
    effect: { kind: "disable", reason: "upstream answered 402 (billing_error)", temporary: false },
  },
];

Deno.test("probe-worthy disables, in both modes", async (t) => {
  await checkRows(t, ROWS, MODEL_SCOPE_POLICY);
});
