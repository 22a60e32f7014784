/**
 * Error-rule patterns cannot freeze the gateway (issue 15, item 8): a
 * catastrophic pattern is refused in the config and through the management
 * API, naming the rule, and a legal pattern only ever sees the first 4096
 * characters of an error, so `/healthz` keeps answering while it runs.
 */

import assert from "node:assert/strict";
import { chatRequest, startGateway } from "./support/gateway.ts";
import { runMain } from "./support/process.ts";
import { chatCompletion, json, openaiError, upstream } from "./support/upstream.ts";

const EVIL = { id: "evil", status: [400], match: "(a+)+b", action: "failover" };

Deno.test("a nested quantifier in the config stops start-up with one line naming the rule", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-rules-" });
  try {
    const document = {
      accounts: [{ id: "oa-1", platform: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKey: "k" }],
      groups: [{ id: "team", accounts: ["oa-1"] }],
      keys: [{ id: "alice", key: "sk-alice-0001", group: "team" }],
      errorRules: [{ match: "overloaded", action: "failover" }, EVIL],
    };
    // A gateway that starts anyway is stopped after a minute, so the test fails instead of hanging.
    const result = await runMain({
      SWITCHYARD_CONFIG_JSON: JSON.stringify(document),
      SWITCHYARD_KV: `${dir}/state.kv`,
      PORT: "0",
    });
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0],
      /invalid config \(SWITCHYARD_CONFIG_JSON\): errorRules\[1\]\.match: refused: nested quantifier.* \(rule "evil"\)$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PUT /admin/error-rules refuses catastrophic patterns with a 400 naming the rule", async () => {
  await using healthy = upstream(() => json(200, chatCompletion("hi")));
  await using gw = await startGateway({ accounts: [{ id: "oa-1", upstream: healthy }] });
  const put = (rules: unknown) =>
    gw.admin("/admin/error-rules", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rules),
    });
  const refusals: [unknown, RegExp][] = [
    [[EVIL], /^errorRules\[0\]\.match: refused: nested quantifier.* \(rule "evil"\)$/],
    [
      [{ match: "ok", action: "passback" }, { id: "cubic", match: ".*.*x", action: "failover" }],
      /^errorRules\[1\]\.match: refused: too many ways to match.* \(rule "cubic"\)$/,
    ],
    [
      [{ match: "(a)\\1", action: "failover" }],
      /^errorRules\[0\]\.match: refused: backreference/,
    ],
  ];
  for (const [rules, message] of refusals) {
    const response = await put(rules);
    assert.equal(response.status, 400);
    const { error } = await response.json();
    assert.match(error.message, message);
  }
  const view = await (await gw.admin("/admin/error-rules")).json();
  assert.equal(view.source, "config");
  assert.deepEqual(view.errorRules, []);
});

/** An upstream error echoing a long run of `a`s, then `marker` at `at` characters in. */
function echoingError(at: number): unknown {
  return openaiError(`${"a".repeat(at)}marker${"a".repeat(60_000)}!`, "invalid_request_error");
}

Deno.test("a rule sees the first 4096 characters of an error, lower-cased", async (t) => {
  let markerAt = 0;
  await using busy = upstream(() => json(400, echoingError(markerAt)));
  await using healthy = upstream(() => json(200, chatCompletion("from oa-2")));
  await using gw = await startGateway({
    accounts: [{ id: "oa-1", upstream: busy, priority: 1 }, {
      id: "oa-2",
      upstream: healthy,
      priority: 2,
    }],
    errorRules: [{ id: "marked", status: [400], match: "MARKER", action: "failover" }],
  });
  const servedBy = async () => {
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    await response.body?.cancel();
    return [response.status, response.headers.get("x-switchyard-account")];
  };
  await t.step("within the slice: the rule fails over", async () => {
    markerAt = 100;
    assert.deepEqual(await servedBy(), [200, "oa-2"]);
  });
  await t.step("past it: the rule does not see it", async () => {
    markerAt = 5000;
    assert.deepEqual(await servedBy(), [400, "oa-1"]);
  });
});

Deno.test("/healthz keeps answering while a legal but heavy pattern runs on long errors", async () => {
  await using busy = upstream(() => json(400, echoingError(60_000)));
  await using gw = await startGateway({
    accounts: [{ id: "oa-1", upstream: busy }],
    // Quadratic in the text it sees: allowed, and bounded by the slice.
    errorRules: [{ id: "heavy", status: [400], match: "A.*ZZZ", action: "failover" }],
  });
  const heavy = Array.from({ length: 3 }, async () => {
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    await response.body?.cancel();
    return response.status;
  });
  let done = false;
  const all = Promise.all(heavy).finally(() => done = true);
  const waits: number[] = [];
  while (!done) {
    const started = performance.now();
    const health = await fetch(`${gw.url}/healthz`);
    await health.body?.cancel();
    assert.equal(health.status, 200);
    waits.push(performance.now() - started);
  }
  // The rule did not match (no ZZZ): the upstream's 400 went back as it was.
  assert.deepEqual(await all, [400, 400, 400]);
  assert.equal(gw.log.length, 3);
  assert.ok(gw.log.every((entry) => entry.attempts[0].rule === undefined));
  // Generous: before the slice, each match took seconds and /healthz waited for all of them.
  const longest = Math.max(...waits);
  assert.ok(longest < 1500, `/healthz waited ${Math.round(longest)} ms (${waits.length} calls)`);
});
