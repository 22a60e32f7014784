/**
 * Error rules over real sockets: a gateway on a KV file, mock upstream
 * accounts, account state read back through `GET /admin/accounts`, the
 * failover log through `GET /admin/dashboard`, and the rules themselves set
 * through the config and through `PUT /admin/error-rules`.
 */

import assert from "node:assert/strict";
import type { AccountView } from "../lib/routes/admin/accounts.ts";
import { runAdmin } from "../scripts/admin.ts";
import {
  ADMIN_TOKEN,
  chatRequest,
  messagesRequest,
  startGateway,
  type TestGateway,
} from "./support/gateway.ts";
import { runMain } from "./support/process.ts";
import { sseText, trickledResponse } from "./support/streams.ts";
import {
  anthropicMessage,
  chatCompletion,
  json,
  openaiError,
  upstream,
} from "./support/upstream.ts";
import { bothKvs, seenOnRemote } from "./support/shared_kv.ts";

const SECOND = 1000;

/** A gateway with `oa-1` (tried first) and `oa-2`, and the config's `errorRules`. */
function twoAccounts(
  first: { url: string },
  second: { url: string },
  errorRules: unknown[],
): Promise<TestGateway> {
  return startGateway({
    accounts: [
      { id: "oa-1", upstream: first, priority: 1 },
      { id: "oa-2", upstream: second, priority: 2 },
    ],
    errorRules,
  });
}

/** The failover list of `GET /admin/dashboard`. */
async function dashboardFailovers(gw: TestGateway): Promise<Record<string, unknown>[]> {
  const response = await gw.admin("/admin/dashboard");
  assert.equal(response.status, 200);
  return (await response.json()).failovers;
}

/** Asserts a cooldown set by a rule of `seconds`, for a request sent within `[before, after]`. */
function assertRuleCooldown(view: AccountView, seconds: number, before: number, after: number) {
  assert.equal(view.state, "cooldown", JSON.stringify(view));
  assert.equal(view.reason, "rule");
  assert.equal(view.strikes, 0);
  const until = Date.parse(view.until ?? "");
  assert.ok(
    until >= before + seconds * SECOND && until <= after + seconds * SECOND,
    `${view.until} is ${seconds}s after the request`,
  );
}

Deno.test("failover rule: a 400 'overloaded' moves on, cools for the rule's seconds, and the dashboard names the rule", async () => {
  const overloaded = openaiError("The engine is currently overloaded", "invalid_request_error");
  await using busy = upstream(() => json(400, overloaded));
  await using healthy = upstream(() => json(200, chatCompletion("from oa-2")));
  await using gw = await twoAccounts(busy, healthy, [
    {
      id: "overload",
      status: [400],
      match: "overloaded|at capacity",
      action: "failover",
      cooldownSeconds: 30,
    },
  ]);

  const before = Date.now();
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  const after = Date.now();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "oa-2");
  assert.deepEqual(await response.json(), chatCompletion("from oa-2"));
  assertRuleCooldown(await gw.account("oa-1"), 30, before, after);

  const [entry] = gw.log;
  assert.deepEqual(
    entry.attempts.map((a) => [a.account, a.outcome, a.status, a.effect, a.rule]),
    [["oa-1", "failover", 400, "cooldown:rule", "overload"], [
      "oa-2",
      "success",
      200,
      undefined,
      undefined,
    ]],
  );
  const failovers = await dashboardFailovers(gw);
  assert.deepEqual(
    failovers.map((f) => [f.account, f.reason, f.status, f.rule]),
    [["oa-1", "rule", 400, "overload"]],
  );
});

Deno.test("status filter: the same body with another status is not the rule's business", async () => {
  await using busy = upstream(() => json(422, openaiError("overloaded", "invalid_request_error")));
  await using healthy = upstream(() => json(200, chatCompletion("from oa-2")));
  await using gw = await twoAccounts(busy, healthy, [{
    status: [400],
    match: "overloaded",
    action: "failover",
    cooldownSeconds: 30,
  }]);

  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 422);
  assert.deepEqual(await response.json(), openaiError("overloaded", "invalid_request_error"));
  assert.equal(healthy.hits.length, 0);
  assert.equal((await gw.account("oa-1")).state, "active");
});

Deno.test("cooldown rule: the error goes back to the client and the account cools", async () => {
  const slowDown = openaiError(
    "slow_down: this account is being throttled",
    "invalid_request_error",
  );
  await using throttled = upstream(() => json(400, slowDown));
  await using healthy = upstream(() => json(200, chatCompletion("from oa-2")));
  await using gw = await twoAccounts(throttled, healthy, [{
    id: "throttle",
    match: "slow_down",
    action: "cooldown",
    cooldownSeconds: 45,
  }]);

  const before = Date.now();
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  const after = Date.now();
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
  assert.deepEqual(await response.json(), slowDown, "the upstream's body, verbatim");
  assert.equal(healthy.hits.length, 0, "no failover");
  assertRuleCooldown(await gw.account("oa-1"), 45, before, after);

  const next = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(next.headers.get("x-switchyard-account"), "oa-2", "the cooling account rests");
  await next.body?.cancel();
});

Deno.test("passback rule: a 500 that would fail over goes back as it is, and the account is untouched", async () => {
  const tooLong = openaiError("context_length_exceeded: 300000 tokens", "server_error");
  await using failing = upstream(() => json(500, tooLong));
  await using healthy = upstream(() => json(200, chatCompletion("from oa-2")));
  await using gw = await twoAccounts(failing, healthy, [{
    match: "context_length_exceeded",
    action: "passback",
  }]);

  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), tooLong);
  assert.equal(healthy.hits.length, 0);
  const view = await gw.account("oa-1");
  assert.equal(view.state, "active");
  assert.equal(view.strikes, 0);
  assert.equal(gw.log[0].attempts[0].rule, "errorRules[0]");
  assert.equal(gw.log[0].attempts[0].outcome, "passback");
});

Deno.test("disable rule: an 'account deactivated' 403 disables the account and the request moves on", async () => {
  await using dead = upstream(() =>
    json(403, {
      error: { message: "This account has been deactivated", code: "account_deactivated" },
    })
  );
  await using healthy = upstream(() => json(200, chatCompletion("from oa-2")));
  await using gw = await twoAccounts(dead, healthy, [{
    id: "deactivated",
    status: [403],
    match: "deactivated_workspace|account_deactivated",
    action: "disable",
  }]);

  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.headers.get("x-switchyard-account"), "oa-2");
  await response.body?.cancel();
  const view = await gw.account("oa-1");
  assert.equal(view.state, "disabled", "not the built-in 403 cooldown");
  assert.equal(view.strikes, 0);
  assert.equal(view.reason, 'error rule "deactivated"');
  assert.deepEqual(
    (await dashboardFailovers(gw)).map((f) => [f.account, f.reason, f.rule]),
    [["oa-1", "disabled", "deactivated"]],
  );
});

Deno.test("platforms and accounts scope a rule", async (t) => {
  const quirk = () => json(400, { error: { message: "upstream quirk #7", type: "invalid" } });
  await using odd = upstream(quirk);
  await using healthy = upstream((request) =>
    new URL(request.url).pathname === "/v1/messages"
      ? json(200, anthropicMessage("from claude-2"))
      : json(200, chatCompletion("from oa-2"))
  );

  await t.step("platforms: only the anthropic account's 400 fails over", async () => {
    await using gw = await startGateway({
      accounts: [
        { id: "oa-1", upstream: odd, priority: 1 },
        { id: "oa-2", upstream: healthy, priority: 2 },
        { id: "claude-1", upstream: odd, platform: "anthropic", priority: 1 },
        { id: "claude-2", upstream: healthy, platform: "anthropic", priority: 2 },
      ],
      // Each platform's own accounts only: oa-1 would serve the Messages request translated.
      groups: [{
        id: "team",
        accounts: ["oa-1", "oa-2", "claude-1", "claude-2"],
        translate: false,
      }],
      errorRules: [{ platforms: ["anthropic"], match: "quirk", action: "failover" }],
    });
    const openai = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(openai.status, 400);
    assert.equal(openai.headers.get("x-switchyard-account"), "oa-1");
    await openai.body?.cancel();
    const anthropic = await gw.api("/v1/messages", { json: messagesRequest() });
    assert.equal(anthropic.status, 200);
    assert.equal(anthropic.headers.get("x-switchyard-account"), "claude-2");
    await anthropic.body?.cancel();
  });

  await t.step("accounts: a rule for another account does not fire", async () => {
    await using gw = await twoAccounts(odd, healthy, [
      { id: "not-me", accounts: ["oa-2"], match: "quirk", action: "failover" },
      { id: "me", accounts: ["oa-1"], match: "quirk", action: "cooldown", cooldownSeconds: 20 },
    ]);
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
    await response.body?.cancel();
    assert.equal(gw.log[0].attempts[0].rule, "me");
    assert.equal((await gw.account("oa-1")).reason, "rule");
  });
});

Deno.test("preamble error events go through the rules too", async (t) => {
  type Event = [string, unknown];
  const created: Event = ["response.created", { type: "response.created", response: { id: "r1" } }];
  const failed = (code: string, message: string): Event => [
    "response.failed",
    { type: "response.failed", response: { id: "r1", error: { code, message } } },
  ];
  let script = () => json(500, {});
  await using first = upstream(() => script());
  await using second = upstream(() =>
    trickledResponse(
      sseText([
        ["response.created", { type: "response.created", response: { id: "r2" } }],
        ["response.output_text.delta", { type: "response.output_text.delta", delta: "from-2" }],
        ["response.completed", { type: "response.completed", response: { id: "r2" } }],
      ]),
      "events",
    )
  );
  await using gw = await twoAccounts(first, second, [
    { id: "capacity", match: "at capacity", action: "failover", cooldownSeconds: 45 },
    { id: "paused", status: [200], match: "deployment_paused", action: "failover" },
    {
      id: "refused",
      match: "content_policy",
      action: "passback",
      clientStatus: 400,
      clientMessage: "This request was refused.",
    },
  ]);
  const stream = () => gw.api("/v1/responses", { json: { model: "m", stream: true, input: "hi" } });

  await t.step("response.failed 'model at capacity' fails over by the rule", async () => {
    const text = sseText([created, failed("server_busy", "The model is at capacity")]);
    script = () => trickledResponse(text, "events");
    const before = Date.now();
    const response = await stream();
    const after = Date.now();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-switchyard-account"), "oa-2");
    const body = await response.text();
    assert.match(body, /from-2/);
    assert.doesNotMatch(body, /r1/);
    // The built-in table would call this `overloaded` for 30 s; the rule says 45 s.
    assertRuleCooldown(await gw.account("oa-1"), 45, before, after);
    const failovers = await dashboardFailovers(gw);
    assert.deepEqual(
      failovers.map((f) => [f.account, f.reason, f.status, f.rule]),
      [["oa-1", "rule", 200, "capacity"]],
    );
    await gw.gateway.states.reset("oa-1");
  });

  await t.step("an event the built-in table passes back fails over by a rule", async () => {
    const text = sseText([created, failed("deployment_paused", "paused by owner")]);
    // Cut mid-line, as real upstreams flush.
    script = () => trickledResponse(text, [10, text.indexOf("deployment") + 4]);
    const response = await stream();
    assert.equal(response.headers.get("x-switchyard-account"), "oa-2");
    assert.match(await response.text(), /from-2/);
    assert.equal((await gw.account("oa-1")).state, "active", "no cooldown given");
  });

  await t.step("a passback rule's client message replaces the event", async () => {
    const text = sseText([created, failed("content_policy", "flagged: sk-upstream-oa-1")]);
    script = () => trickledResponse(text, "events");
    const response = await stream();
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
    const body = await response.text();
    assert.deepEqual(JSON.parse(body), {
      error: {
        message: "This request was refused.",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    });
    assert.ok(!body.includes("sk-upstream"), "nothing of the upstream's event leaks");
  });
});

Deno.test("clientStatus and clientMessage: the client sees the rule's error in its surface's shape", async (t) => {
  const leaky = { error: { message: "internal_detail: key sk-upstream-oa-1 on shard 7" } };
  await using odd = upstream(() => json(400, leaky));
  await using busy = upstream(() => json(400, { error: { message: "overloaded" } }));
  const rewrite = {
    match: "internal_detail",
    action: "passback",
    clientStatus: 503,
    clientMessage: "The upstream is busy; retry shortly.",
  };

  await t.step("OpenAI surface", async () => {
    await using gw = await startGateway({
      accounts: [{ id: "oa-1", upstream: odd }],
      errorRules: [rewrite],
    });
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
    const text = await response.text();
    assert.ok(!text.includes("sk-upstream") && !text.includes("internal_detail"));
    assert.deepEqual(JSON.parse(text), {
      error: {
        message: "The upstream is busy; retry shortly.",
        type: "server_error",
        param: null,
        code: "no_available_accounts",
      },
    });
  });

  await t.step("Anthropic surface", async () => {
    await using gw = await startGateway({
      accounts: [{ id: "claude-1", upstream: odd, platform: "anthropic" }],
      errorRules: [rewrite],
    });
    const response = await gw.api("/v1/messages", { json: messagesRequest() });
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), {
      type: "error",
      error: { type: "overloaded_error", message: "The upstream is busy; retry shortly." },
    });
  });

  await t.step("the final error after failover", async () => {
    await using gw = await twoAccounts(busy, busy, [{
      match: "overloaded",
      action: "failover",
      clientStatus: 529,
      clientMessage: "Every account is overloaded.",
    }]);
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 529);
    assert.equal(response.headers.get("x-switchyard-account"), "oa-2");
    assert.equal((await response.json()).error.message, "Every account is overloaded.");
    assert.deepEqual(gw.log[0].attempts.map((a) => [a.account, a.outcome]), [
      ["oa-1", "failover"],
      ["oa-2", "failover"],
    ]);
  });

  await t.step("an unmatched error is still relayed verbatim", async () => {
    await using gw = await startGateway({
      accounts: [{ id: "claude-1", upstream: busy, platform: "anthropic" }],
      errorRules: [rewrite],
    });
    const response = await gw.api("/v1/messages", { json: messagesRequest() });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { error: { message: "overloaded" } });
  });
});

Deno.test("an invalid regular expression in the config stops start-up with one line naming the rule", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-rules-" });
  try {
    const document = {
      accounts: [{ id: "oa-1", platform: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKey: "k" }],
      groups: [{ id: "team", accounts: ["oa-1"] }],
      keys: [{ id: "alice", key: "sk-alice-0001", group: "team" }],
      errorRules: [
        { match: "ok", action: "passback" },
        { id: "overload", match: "overloaded|(at capacity", action: "failover" },
      ],
    };
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
      /invalid config \(SWITCHYARD_CONFIG_JSON\): errorRules\[1\]\.match: invalid regular expression \(.+\) \(rule "overload"\)/,
    );
    assert.equal(result.stdout, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

bothKvs(
  "management API: PUT replaces the rules for every process's next request; DELETE goes back to the config",
  async (kv, t) => {
    const overloaded = { error: { message: "overloaded", type: "invalid_request_error" } };
    await using busy = upstream(() => json(400, overloaded));
    await using healthy = upstream(() => json(200, chatCompletion("from oa-2")));
    const spec = {
      accounts: [
        { id: "oa-1", upstream: busy, priority: 1 },
        { id: "oa-2", upstream: healthy, priority: 2 },
      ],
      errorRules: [{ id: "seed", match: "never-seen", action: "passback" }],
      kvPath: kv.location,
    };
    await using a = await startGateway(spec);
    await using b = await startGateway(spec);
    const served = async (gw: TestGateway) => {
      const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
      await response.body?.cancel();
      return [response.status, response.headers.get("x-switchyard-account")];
    };
    const source = async (gw: TestGateway) =>
      (await (await gw.admin("/admin/error-rules")).json()).source;
    const put = (gw: TestGateway, body: unknown) =>
      gw.admin("/admin/error-rules", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    {
      await t.step("GET shows the config's rules", async () => {
        const response = await a.admin("/admin/error-rules");
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), {
          source: "config",
          errorRules: [{ id: "seed", match: "never-seen", action: "passback" }],
        });
        assert.deepEqual(await served(a), [400, "oa-1"]);
      });

      await t.step("a bad list is a 400 naming the rule, and changes nothing", async () => {
        const response = await put(a, {
          errorRules: [{ match: "ok", action: "failover" }, {
            id: "bad",
            match: "(",
            action: "failover",
          }],
        });
        assert.equal(response.status, 400);
        const { error } = await response.json();
        assert.equal(error.param, "errorRules[1].match");
        assert.match(
          error.message,
          /^errorRules\[1\]\.match: invalid regular expression .*\(rule "bad"\)$/,
        );
        const action = await put(a, [{ match: "x", action: "explode" }]);
        assert.equal(action.status, 400);
        assert.equal((await action.json()).error.param, "errorRules[0].action");
        const huge = Array.from({ length: 80 }, (_, i) => ({
          id: `r${i}`,
          match: "x".repeat(1000),
          action: "passback",
        }));
        const tooBig = await put(a, huge);
        assert.equal(tooBig.status, 400);
        assert.equal((await tooBig.json()).error.param, "errorRules");
        const notJson = await a.admin("/admin/error-rules", { method: "PUT", body: "{" });
        assert.equal(notJson.status, 400);
        await notJson.body?.cancel();
        assert.equal((await (await a.admin("/admin/error-rules")).json()).source, "config");
      });

      await t.step("PUT on one process: both fail over on their next request", async () => {
        const response = await put(a, [{
          id: "overload",
          status: [400],
          match: "overloaded",
          action: "failover",
        }]);
        assert.equal(response.status, 200);
        const view = await response.json();
        assert.equal(view.source, "api");
        assert.deepEqual(view.errorRules, [
          { id: "overload", status: [400], match: "overloaded", action: "failover" },
        ]);
        await seenOnRemote(
          kv,
          async () => await source(b) === "api",
          "B's watch delivering the PUT",
        );
        assert.deepEqual(await served(a), [200, "oa-2"]);
        assert.deepEqual(await served(b), [200, "oa-2"]);
        assert.equal(b.log.at(-1)?.attempts[0].rule, "overload");
        assert.equal((await (await b.admin("/admin/error-rules")).json()).source, "api");
      });

      await t.step("DELETE on the other: the config's rules again, everywhere", async () => {
        const response = await b.admin("/admin/error-rules", { method: "DELETE" });
        assert.equal(response.status, 200);
        assert.equal((await response.json()).source, "config");
        await seenOnRemote(
          kv,
          async () => await source(a) === "config",
          "A's watch delivering the DELETE",
        );
        assert.deepEqual(await served(a), [400, "oa-1"]);
        assert.deepEqual(await served(b), [400, "oa-1"]);
      });

      await t.step(
        "PUT on one and DELETE on the other back to back: both on the config's",
        async () => {
          // A's own PUT is never read back from KV before B's DELETE lands: A must still reload.
          assert.equal((await put(a, [{ match: "overloaded", action: "failover" }])).status, 200);
          const response = await b.admin("/admin/error-rules", { method: "DELETE" });
          assert.equal(response.status, 200);
          await response.body?.cancel();
          await seenOnRemote(
            kv,
            async () => await source(a) === "config",
            "A's watch delivering the DELETE",
          );
          assert.deepEqual(await served(a), [400, "oa-1"]);
          assert.equal(await source(a), "config");
          assert.deepEqual(await served(b), [400, "oa-1"]);
        },
      );

      await t.step("other methods get a 405", async () => {
        const response = await a.admin("/admin/error-rules", { method: "POST", body: "[]" });
        assert.equal(response.status, 405);
        await response.body?.cancel();
      });

      await t.step("the admin token is required", async () => {
        const response = await a.admin("/admin/error-rules", { token: null });
        assert.equal(response.status, 401);
        await response.body?.cancel();
      });
    }
  },
);

Deno.test("deno task admin error-rules: list, set from stdin, reset", async () => {
  await using healthy = upstream(() => json(200, chatCompletion("hi")));
  await using gw = await startGateway({
    accounts: [{ id: "oa-1", upstream: healthy }],
    errorRules: [{ match: "context_length_exceeded", action: "passback" }],
  });
  const run = async (args: string[], input = "") => {
    const out: string[] = [];
    const err: string[] = [];
    const env: Record<string, string> = {
      SWITCHYARD_URL: gw.url,
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    const code = await runAdmin(["error-rules", ...args], {
      env: (name) => env[name],
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      input: () => Promise.resolve(input),
    });
    return { code, out, err };
  };

  const list = await run(["list"]);
  assert.equal(list.code, 0, list.err.join("\n"));
  assert.equal(list.out[0], "error rules from the config");
  assert.match(list.out[1], /^NAME\s+STATUS\s+MATCH\s+ACTION\s+COOLDOWN\s+SCOPE\s+CLIENT SEES$/);
  assert.match(
    list.out[2],
    /^errorRules\[0\]\s+-\s+context_length_exceeded\s+passback\s+-\s+-\s+-$/,
  );

  const rules = [{
    id: "overload",
    status: [400, 529],
    match: "overloaded",
    action: "failover",
    cooldownSeconds: 30,
    platforms: ["openai"],
    clientStatus: 503,
  }];
  const set = await run(["set"], JSON.stringify(rules));
  assert.equal(set.code, 0, set.err.join("\n"));
  assert.equal(set.out[0], "error rules from the api");
  assert.match(set.out[2], /^overload\s+400,529\s+overloaded\s+failover\s+30s\s+openai\s+503$/);
  const stored = await (await gw.admin("/admin/error-rules")).json();
  assert.deepEqual(stored.errorRules, rules);

  const bad = await run(["set"], JSON.stringify([{ match: "(", action: "failover" }]));
  assert.equal(bad.code, 1);
  assert.match(bad.err[0], /^admin: 400: errorRules\[0\]\.match: invalid regular expression/);
  const notJson = await run(["set"], "not json");
  assert.equal(notJson.code, 1);
  assert.match(notJson.err[0], /JSON list of rules on stdin/);

  const reset = await run(["reset"]);
  assert.equal(reset.code, 0);
  assert.equal(reset.out[0], "error rules from the config");
});
