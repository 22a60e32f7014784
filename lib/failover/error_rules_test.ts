/**
 * Table tests for error rules, all pure: reading and rejecting rules
 * (`lib/config/error_rules.ts`), matching (`lib/failover/error_rules.ts`),
 * the classifier letting a rule win over the built-in table, and the
 * client-facing rewrite.
 */

import assert from "node:assert/strict";
import { DEFAULT_FAILOVER } from "../config/defaults.ts";
import { ConfigError } from "../config/errors.ts";
import { errorRulesFromBody } from "../config/error_rules.ts";
import type { ErrorRule, FailoverPolicy } from "../config/types.ts";
import { validateConfig } from "../config/validate.ts";
import type { AccountEffect } from "../accounts/model.ts";
import { classifyResponse, type Outcome } from "./classify.ts";
import {
  compileErrorRules,
  type ErrorSubject,
  matchErrorRule,
  rewrittenError,
} from "./error_rules.ts";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

/** Rules do not read the policy; the defaults stand in. */
const POLICY: FailoverPolicy = DEFAULT_FAILOVER;

/** The three rules, plus scoped ones. */
const RULES: ErrorRule[] = errorRulesFromBody([
  { id: "overload", status: [400], match: "overloaded|at capacity", action: "failover" },
  { status: [403], match: "deactivated_workspace|account_deactivated", action: "disable" },
  { match: "context_length_exceeded", action: "passback" },
  { id: "claude-only", platforms: ["anthropic"], match: "quirk", action: "failover" },
  { id: "oa-2-only", accounts: ["oa-2"], match: "quirk", action: "cooldown", cooldownSeconds: 5 },
  { id: "missing-model", status: [404], action: "failover" },
  { id: "in-stream", status: [200], match: "busy", action: "failover" },
]);

Deno.test("the first rule that fits an error wins (table)", () => {
  const compiled = compileErrorRules(RULES);
  const subject = (over: Partial<ErrorSubject>): ErrorSubject => ({
    status: 400,
    platform: "openai",
    account: "oa-1",
    text: "",
    ...over,
  });
  const rows: [string, Partial<ErrorSubject>, string | undefined][] = [
    ["status and match", { text: '{"error":{"message":"Overloaded"}}' }, "overload"],
    ["case-insensitive", { text: "Model AT CAPACITY" }, "overload"],
    ["status filter: 422 is not 400", { status: 422, text: "overloaded" }, undefined],
    ["unnamed rules are named by place", {
      status: 403,
      text: '{"error":{"code":"account_deactivated"}}',
    }, "errorRules[1]"],
    [
      "no status filter: any status",
      { status: 500, text: "context_length_exceeded" },
      "errorRules[2]",
    ],
    ["an earlier rule wins", { text: "overloaded, and context_length_exceeded" }, "overload"],
    ["platform filter: openai", { text: "quirk" }, undefined],
    ["platform filter: anthropic", { platform: "anthropic", text: "quirk" }, "claude-only"],
    ["account filter", { account: "oa-2", text: "quirk" }, "oa-2-only"],
    ["status-only rule", { status: 404, text: "anything at all" }, "missing-model"],
    ["an event in a 200 stream", { status: 200, text: '{"message":"server busy"}' }, "in-stream"],
    ["a 400 rule does not see a 200 stream's event", {
      status: 200,
      text: "overloaded",
    }, undefined],
    ["nothing fits", { status: 400, text: "bad request" }, undefined],
  ];
  for (const [name, over, expected] of rows) {
    assert.equal(matchErrorRule(compiled, subject(over))?.name, expected, name);
  }
  assert.equal(compileErrorRules(RULES), compiled, "a list is compiled once");
  const big = "x".repeat(64 * 1024) + "overloaded";
  assert.equal(
    matchErrorRule(compiled, subject({ text: big })),
    undefined,
    "only the first 64 KiB",
  );
});

Deno.test("a matched rule decides the verdict over the built-in table (table)", () => {
  const rule = (over: Partial<ErrorRule>) =>
    compileErrorRules(errorRulesFromBody([{ id: "r", match: "x", action: "failover", ...over }]))[
      0
    ];
  const cool = (seconds: number): AccountEffect => ({
    kind: "cooldown",
    reason: "rule",
    until: NOW + seconds * 1000,
    strike: false,
  });
  const rows: [string, number, Partial<ErrorRule>, Outcome, AccountEffect][] = [
    ["failover: a 400 moves on", 400, {}, "failover", { kind: "none" }],
    ["failover with a cooldown", 400, { cooldownSeconds: 30 }, "failover", cool(30)],
    [
      "cooldown: cools, passes back",
      429,
      { action: "cooldown", cooldownSeconds: 7 },
      "passback",
      cool(7),
    ],
    ["disable", 403, { action: "disable" }, "failover", {
      kind: "disable",
      reason: 'error rule "r"',
      temporary: false, // the operator decided: no half-open probes
    }],
    ["passback: a 500 stays, no effect", 500, { action: "passback" }, "passback", { kind: "none" }],
    ["passback: a 429 stays", 429, { action: "passback" }, "passback", { kind: "none" }],
  ];
  for (const [name, status, over, outcome, effect] of rows) {
    const matched = rule(over);
    for (const passthrough of [true, false]) {
      const verdict = classifyResponse(
        { status, headers: new Headers(), body: "x" },
        passthrough,
        POLICY,
        NOW,
        matched,
      );
      assert.equal(verdict.outcome, outcome, `${name} (passthrough ${passthrough})`);
      assert.deepEqual(verdict.effect, effect, name);
      assert.equal(verdict.rule, matched, name);
    }
  }
  const success = classifyResponse(
    { status: 200, headers: new Headers(), body: "" },
    false,
    POLICY,
    NOW,
    rule({}),
  );
  assert.deepEqual(success, { outcome: "success", effect: { kind: "healthy" } });
  const builtIn = classifyResponse(
    { status: 400, headers: new Headers(), body: "x" },
    false,
    POLICY,
    NOW,
  );
  assert.deepEqual(builtIn, { outcome: "passback", effect: { kind: "none" } });
});

Deno.test("clientStatus and clientMessage rewrite the error in the surface's shape", async () => {
  const rule = (over: Partial<ErrorRule>) =>
    compileErrorRules(errorRulesFromBody([{ match: "x", action: "passback", ...over }]))[0];
  const upstream = JSON.stringify({ error: { message: "upstream says x", type: "weird" } });

  assert.equal(rewrittenError("openai", undefined, 400, upstream), undefined);
  assert.equal(rewrittenError("openai", rule({}), 400, upstream), undefined, "nothing to rewrite");

  const both = rewrittenError(
    "openai",
    rule({ clientStatus: 503, clientMessage: "busy" }),
    400,
    upstream,
  )!;
  assert.equal(both.status, 503);
  assert.deepEqual(await both.json(), {
    error: { message: "busy", type: "server_error", param: null, code: "no_available_accounts" },
  });

  const message = rewrittenError("anthropic", rule({ clientMessage: "try later" }), 429, upstream)!;
  assert.equal(message.status, 429);
  assert.deepEqual(await message.json(), {
    type: "error",
    error: { type: "rate_limit_error", message: "try later" },
  });

  const status = rewrittenError("openai", rule({ clientStatus: 400 }), 500, upstream)!;
  assert.equal(status.status, 400);
  assert.equal((await status.json()).error.message, "upstream says x", "the upstream's message");

  const html = rewrittenError("openai", rule({ clientStatus: 502 }), 403, "<html>x</html>")!;
  assert.equal((await html.json()).error.message, "upstream answered 403");
});

Deno.test("bad rules are config errors naming the rule (table)", () => {
  const base = {
    accounts: [{ id: "oa-1", platform: "openai", baseUrl: "https://x.test/v1", apiKey: "k" }],
    groups: [{ id: "team", accounts: ["oa-1"] }],
    keys: [{ id: "alice", key: "sk-alice-0001", group: "team" }],
  };
  const ok = { match: "x", action: "failover" };
  const rows: [string, unknown, string, RegExp][] = [
    [
      "invalid regex",
      [ok, { match: "(unclosed", action: "failover" }],
      "errorRules[1].match",
      /invalid regular expression \(Unterminated group\)/,
    ],
    [
      "invalid regex, named",
      [{ id: "ovl", match: "[", action: "failover" }],
      "errorRules[0].match",
      /invalid regular expression.*\(rule "ovl"\)/,
    ],
    [
      "invalid action",
      [{ match: "x", action: "retry" }],
      "errorRules[0].action",
      /must be one of "failover", "cooldown", "disable", "passback"/,
    ],
    ["missing action", [{ match: "x" }], "errorRules[0].action", /must be one of/],
    [
      "no match, no status",
      [{ action: "failover" }],
      "errorRules[0]",
      /needs "match", "status" or both/,
    ],
    [
      "status out of range",
      [{ status: [302], action: "failover" }],
      "errorRules[0].status[0]",
      /400-599/,
    ],
    [
      "empty status list",
      [{ status: [], action: "failover" }],
      "errorRules[0].status",
      /non-empty/,
    ],
    [
      "cooldown needs seconds",
      [{ match: "x", action: "cooldown" }],
      "errorRules[0].cooldownSeconds",
      /required/,
    ],
    [
      "disable cools nothing",
      [{ match: "x", action: "disable", cooldownSeconds: 5 }],
      "errorRules[0].cooldownSeconds",
      /only rules with action/,
    ],
    [
      "unknown platform",
      [{ ...ok, platforms: ["azure"] }],
      "errorRules[0].platforms[0]",
      /must be one of/,
    ],
    ["empty accounts", [{ ...ok, accounts: [] }], "errorRules[0].accounts", /must not be empty/],
    [
      "clientStatus range",
      [{ ...ok, clientStatus: 200 }],
      "errorRules[0].clientStatus",
      /400 to 599/,
    ],
    ["unknown field", [{ ...ok, when: "always" }], "errorRules[0].when", /unknown field/],
    [
      "duplicate id",
      [{ ...ok, id: "a" }, { ...ok, id: "a" }],
      "errorRules[1].id",
      /duplicate id "a"/,
    ],
    ["not a list", { match: "x" }, "errorRules", /must be an array/],
  ];
  for (const [name, errorRules, field, problem] of rows) {
    let caught: unknown;
    try {
      validateConfig({ ...base, errorRules }, () => undefined);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError, `${name}: expected a ConfigError, got ${caught}`);
    assert.equal(caught.field, field, name);
    assert.match(caught.message, problem, name);
    assert.ok(!caught.message.includes("\n"), `${name}: one line`);
  }
  const config = validateConfig({ ...base, errorRules: [{ id: "a", ...ok }] }, () => undefined);
  assert.deepEqual(config.errorRules, [{ id: "a", match: "x", action: "failover" }]);
  assert.deepEqual(validateConfig(base, () => undefined).errorRules, []);
});
