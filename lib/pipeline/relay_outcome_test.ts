/** Table tests for what a relayed request came to (`relay_outcome.ts`). */

import assert from "node:assert/strict";
import type { Attempt } from "../failover/result.ts";
import {
  failoverEvents,
  loggedAttempt,
  outcomeOf,
  servingAccount,
  usageModel,
} from "./relay_outcome.ts";

const failed: Attempt = {
  account: "a",
  outcome: "failover",
  status: 429,
  effect: { kind: "cooldown", reason: "rateLimited", until: 1, strike: false },
  startedAt: 0,
};
const served: Attempt = { account: "b", outcome: "success", status: 200, ms: 3 };

Deno.test("outcome: the last attempt's, or how the body ended", () => {
  const rows: [readonly Attempt[], "complete" | "aborted" | "error", string][] = [
    [[], "complete", "unknown"],
    [[failed, served], "complete", "success"],
    [[failed, served], "aborted", "aborted"],
    [[failed, served], "error", "broken"],
    [[{ account: "a", outcome: "passback", status: 400 }], "complete", "passback"],
    [[{ account: "a", outcome: "client-gone" }], "complete", "client_gone"],
    [[failed], "complete", "exhausted"],
  ];
  for (const [attempts, end, expected] of rows) {
    assert.equal(outcomeOf(attempts, end), expected, JSON.stringify({ attempts, end }));
  }
});

Deno.test("logged attempt: the effect as cooldown:<reason> or disable, the rest kept", () => {
  assert.deepEqual(loggedAttempt(failed), {
    account: "a",
    outcome: "failover",
    status: 429,
    effect: "cooldown:rateLimited",
    startedAt: 0,
  });
  assert.equal(
    loggedAttempt({ ...failed, effect: { kind: "disable", reason: "auth" } }).effect,
    "disable",
  );
  assert.deepEqual(loggedAttempt(served), served);
});

Deno.test("serving account and failover events", () => {
  assert.equal(servingAccount([failed, served]), "b");
  assert.equal(servingAccount([failed]), null);
  const events = failoverEvents([failed, served], "k1", "websocket");
  assert.equal(events.length, 1);
  assert.deepEqual(events[0], {
    at: new Date(0).toISOString(),
    account: "a",
    reason: "rateLimited",
    status: 429,
    key: "k1",
    transport: "websocket",
  });
  const unreachable = failoverEvents([{ account: "a", outcome: "unreachable" }], null, undefined);
  assert.equal(unreachable[0].reason, "unreachable");
  assert.equal(unreachable[0].key, "");
});

Deno.test("usage model: the upstream's name, the client's beside it when routing renamed", () => {
  assert.equal(usageModel("gpt-5", undefined), "gpt-5");
  assert.equal(usageModel("gpt-5", "gpt-5"), "gpt-5");
  assert.equal(usageModel("gpt-5-codex", "gpt-5"), "gpt-5-codex (as gpt-5)");
  assert.equal(usageModel(undefined, "gpt-5"), "gpt-5");
  assert.equal(usageModel(undefined, undefined), "unknown");
});
