/**
 * The failover loop and the account state machine over real sockets: a
 * gateway on a KV file, mock upstream accounts, and account state read back
 * through `GET /admin/accounts`. The 403 strikes also across two gateways on
 * one KV, a file and a remote KV (`bothKvs`).
 */

import assert from "node:assert/strict";
import type { AccountView } from "../lib/routes/admin/accounts.ts";
import { eventually, latch, openOnExit, within } from "./support/async.ts";
import { rawUpstream } from "./support/raw_http.ts";
import { chatRequest, coreView, messagesRequest, startGateway } from "./support/gateway.ts";
import { bothKvs } from "./support/shared_kv.ts";
import {
  anthropicError,
  anthropicMessage,
  chatCompletion,
  hangUntilAborted,
  json,
  openaiError,
  refusedUrl,
  upstream,
  USAGE_LIMIT_403,
} from "./support/upstream.ts";

const SECOND = 1000;

/** Distinct cooldowns per reason, so a state can only match the right table row. */
const COOLDOWNS = {
  forbidden: 601,
  rateLimited: 61,
  overloaded: 31,
  serverError: 32,
  unreachable: 33,
};

/** Asserts an admin row, with `until` inside `[from, to]` (epoch ms). */
function assertAccount(
  view: AccountView,
  expected: Omit<AccountView, "id" | "platform" | "until" | "reason"> & {
    reason?: string | RegExp;
    until?: { from: number; to: number } | number;
  },
): void {
  assert.equal(view.state, expected.state, `state of ${view.id}: ${JSON.stringify(view)}`);
  assert.equal(view.strikes, expected.strikes, `strikes of ${view.id}`);
  if (expected.reason instanceof RegExp) assert.match(view.reason ?? "", expected.reason);
  else assert.equal(view.reason, expected.reason, `reason of ${view.id}`);
  if (expected.until === undefined) {
    assert.equal(view.until, undefined);
  } else {
    assert.ok(view.until, `${view.id} has an until`);
    const until = Date.parse(view.until);
    assert.equal(view.until, new Date(until).toISOString(), "until is ISO-8601");
    if (typeof expected.until === "number") assert.equal(until, expected.until);
    else {
      // Whole-millisecond bounds around the request; `until` is computed in between.
      assert.ok(
        until >= expected.until.from && until <= expected.until.to,
        `${view.until} within [${new Date(expected.until.from).toISOString()}, ${
          new Date(expected.until.to).toISOString()
        }]`,
      );
    }
  }
}

Deno.test("the motivating case: a passthrough 403 'usage limit reached' fails over and cools down", async () => {
  await using codex = upstream(() => json(403, USAGE_LIMIT_403));
  await using openai = upstream(() => json(200, chatCompletion("served by oa-1")));
  await using gw = await startGateway({
    accounts: [
      { id: "codex-1", upstream: codex, passthrough: true, priority: 1 },
      { id: "oa-1", upstream: openai, priority: 2 },
    ],
  });

  const before = Date.now();
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  const after = Date.now();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
  assert.deepEqual(await response.json(), chatCompletion("served by oa-1"));
  assert.equal(codex.hits.length, 1);
  assert.equal(openai.hits.length, 1);

  assertAccount(await gw.account("codex-1"), {
    state: "cooldown",
    reason: "forbidden",
    strikes: 1,
    until: { from: before + 600 * SECOND, to: after + 600 * SECOND },
  });
  assertAccount(await gw.account("oa-1"), { state: "active", strikes: 0 });

  // The next request does not knock on the exhausted account again.
  const again = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("x-switchyard-account"), "oa-1");
  await again.body?.cancel();
  assert.equal(codex.hits.length, 1);
  assert.equal(openai.hits.length, 2);
});

/** One row of the state table, as the failing account answers it. */
interface TableRow {
  name: string;
  answer: () => Response;
  /** What the client gets in passthrough and in standard mode. */
  passthrough: "failover" | "passback";
  standard: "failover" | "passback";
  /** The failing account's admin row; `until` as seconds from the request, or exact epoch ms. */
  expected: {
    state: AccountView["state"];
    reason?: string | RegExp;
    strikes: number;
    until?: { seconds: number } | { at: number };
  };
}

const IN_AN_HOUR_UNIX = Math.floor(Date.now() / 1000) + 3600;
const serverErrorRows = [500, 502, 503, 504].map((status): TableRow => ({
  name: `${status}`,
  answer: () => json(status, openaiError(`upstream ${status}`)),
  passthrough: "passback",
  standard: "failover",
  expected: {
    state: "cooldown",
    reason: "serverError",
    strikes: 0,
    until: { seconds: COOLDOWNS.serverError },
  },
}));
const deadCredentialRows = [401, 402].map((status): TableRow => ({
  name: `${status}`,
  answer: () => json(status, openaiError("bad credential", "invalid_request_error")),
  passthrough: "passback",
  standard: "failover",
  expected: { state: "disabled", reason: new RegExp(`${status}`), strikes: 0 },
}));
const clientErrorRows = [400, 404].map((status): TableRow => ({
  name: `${status}`,
  answer: () => json(status, openaiError("your request", "invalid_request_error")),
  passthrough: "passback",
  standard: "passback",
  expected: { state: "active", strikes: 0 },
}));

const TABLE: TableRow[] = [
  {
    name: "403 without reset information",
    answer: () => json(403, USAGE_LIMIT_403),
    passthrough: "failover",
    standard: "failover",
    expected: {
      state: "cooldown",
      reason: "forbidden",
      strikes: 1,
      until: { seconds: COOLDOWNS.forbidden },
    },
  },
  {
    name: "403 with resets_at",
    answer: () => json(403, { error: { ...USAGE_LIMIT_403.error, resets_at: IN_AN_HOUR_UNIX } }),
    passthrough: "failover",
    standard: "failover",
    expected: {
      state: "cooldown",
      reason: "quota",
      strikes: 0,
      until: { at: IN_AN_HOUR_UNIX * SECOND },
    },
  },
  {
    name: "403 with Retry-After",
    answer: () => json(403, USAGE_LIMIT_403, { "retry-after": "1200" }),
    passthrough: "failover",
    standard: "failover",
    expected: { state: "cooldown", reason: "quota", strikes: 0, until: { seconds: 1200 } },
  },
  {
    name: "429 without reset information",
    answer: () => json(429, openaiError("slow down", "rate_limit_error")),
    passthrough: "failover",
    standard: "failover",
    expected: {
      state: "cooldown",
      reason: "rateLimited",
      strikes: 0,
      until: { seconds: COOLDOWNS.rateLimited },
    },
  },
  {
    name: "429 with Retry-After",
    answer: () => json(429, openaiError("slow down"), { "retry-after": "120" }),
    passthrough: "failover",
    standard: "failover",
    expected: { state: "cooldown", reason: "rateLimited", strikes: 0, until: { seconds: 120 } },
  },
  {
    name: "429 with an exhausted Codex window",
    answer: () =>
      json(429, openaiError("limit"), {
        "x-codex-primary-used-percent": "100",
        "x-codex-primary-reset-after-seconds": "3600",
      }),
    passthrough: "failover",
    standard: "failover",
    expected: { state: "cooldown", reason: "rateLimited", strikes: 0, until: { seconds: 3600 } },
  },
  {
    name: "429 Codex usage_limit_reached with resets_in_seconds",
    answer: () =>
      json(429, { error: { type: "usage_limit_reached", message: "x", resets_in_seconds: 900 } }),
    passthrough: "failover",
    standard: "failover",
    expected: { state: "cooldown", reason: "quota", strikes: 0, until: { seconds: 900 } },
  },
  {
    name: "429 with anthropic-ratelimit-unified-reset",
    answer: () =>
      json(429, anthropicError("limit", "rate_limit_error"), {
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": String(IN_AN_HOUR_UNIX),
      }),
    passthrough: "failover",
    standard: "failover",
    expected: {
      state: "cooldown",
      reason: "rateLimited",
      strikes: 0,
      until: { at: IN_AN_HOUR_UNIX * SECOND },
    },
  },
  {
    name: "429 with x-ratelimit-reset-requests 6m0s",
    answer: () => json(429, openaiError("slow down"), { "x-ratelimit-reset-requests": "6m0s" }),
    passthrough: "failover",
    standard: "failover",
    expected: { state: "cooldown", reason: "rateLimited", strikes: 0, until: { seconds: 360 } },
  },
  {
    name: "529",
    answer: () => json(529, anthropicError("Overloaded", "overloaded_error")),
    passthrough: "failover",
    standard: "failover",
    expected: {
      state: "cooldown",
      reason: "overloaded",
      strikes: 0,
      until: { seconds: COOLDOWNS.overloaded },
    },
  },
  {
    name: "503 with an overloaded_error body",
    answer: () => json(503, anthropicError("Overloaded", "overloaded_error")),
    passthrough: "passback",
    standard: "failover",
    expected: {
      state: "cooldown",
      reason: "overloaded",
      strikes: 0,
      until: { seconds: COOLDOWNS.overloaded },
    },
  },
  ...serverErrorRows,
  ...deadCredentialRows,
  ...clientErrorRows,
];

Deno.test("every row of the state table, in both modes", async (t) => {
  for (const row of TABLE) {
    for (const mode of ["passthrough", "standard"] as const) {
      await t.step(`${row.name} (${mode})`, async () => {
        const sent = row.answer();
        const sentBody = await sent.text();
        await using failing = upstream(() => row.answer());
        await using healthy = upstream(() => json(200, chatCompletion("from healthy")));
        await using gw = await startGateway({
          accounts: [
            { id: "failing", upstream: failing, passthrough: mode === "passthrough", priority: 1 },
            { id: "healthy", upstream: healthy, priority: 2 },
          ],
          failover: { cooldownSeconds: COOLDOWNS },
        });

        const before = Date.now();
        const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
        const after = Date.now();
        const body = await response.text();
        assert.equal(failing.hits.length, 1);
        if (row[mode] === "failover") {
          assert.equal(response.status, 200);
          assert.equal(response.headers.get("x-switchyard-account"), "healthy");
          assert.deepEqual(JSON.parse(body), chatCompletion("from healthy"));
          assert.equal(healthy.hits.length, 1);
        } else {
          assert.equal(response.status, sent.status, "passed back verbatim");
          assert.equal(body, sentBody, "passed back verbatim");
          assert.equal(response.headers.get("x-switchyard-account"), "failing");
          assert.equal(healthy.hits.length, 0, "no failover on a passed-back answer");
        }

        const { until, ...rest } = row.expected;
        assertAccount(await gw.account("failing"), {
          ...rest,
          until: until === undefined
            ? undefined
            : "at" in until
            ? until.at
            : { from: before + until.seconds * SECOND, to: after + until.seconds * SECOND },
        });
        assertAccount(await gw.account("healthy"), { state: "active", strikes: 0 });

        // A resting or disabled account is skipped by the next request; an active one is not.
        const next = await gw.api("/v1/chat/completions", { json: chatRequest() });
        await next.body?.cancel();
        assert.equal(failing.hits.length, row.expected.state === "active" ? 2 : 1);
      });
    }
  }
});

Deno.test("a success leaves the account active with no strikes", async () => {
  await using ok = upstream(() => json(200, chatCompletion("fine")));
  await using gw = await startGateway({ accounts: [{ id: "a", upstream: ok, passthrough: true }] });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), chatCompletion("fine"));
  assertAccount(await gw.account("a"), { state: "active", strikes: 0 });
});

Deno.test("forbiddenStrikes consecutive 403s disable the account until an admin reset", async () => {
  await using exhausted = upstream(() => json(403, USAGE_LIMIT_403));
  await using healthy = upstream(() => json(200, chatCompletion("ok")));
  await using gw = await startGateway({
    accounts: [
      { id: "codex", upstream: exhausted, passthrough: true, priority: 1 },
      { id: "backup", upstream: healthy, priority: 2 },
    ],
    // A zero cooldown lets the very next request try the account again.
    failover: { forbiddenStrikes: 3, cooldownSeconds: { forbidden: 0 } },
  });

  for (let strike = 1; strike <= 2; strike++) {
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    // The cooldown record is over, the strikes outlive it.
    assertAccount(await gw.account("codex"), { state: "active", strikes: strike });
  }
  const third = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(third.status, 200);
  await third.body?.cancel();
  assertAccount(await gw.account("codex"), {
    state: "disabled",
    strikes: 3,
    reason: /3 consecutive 403/,
  });
  assert.equal(exhausted.hits.length, 3);

  const fourth = await gw.api("/v1/chat/completions", { json: chatRequest() });
  await fourth.body?.cancel();
  assert.equal(exhausted.hits.length, 3, "a disabled account gets no traffic");

  const reset = await gw.admin("/admin/accounts/codex/reset", { method: "POST" });
  assert.equal(reset.status, 200);
  assert.deepEqual(coreView(await reset.json()), {
    id: "codex",
    platform: "openai",
    state: "active",
    strikes: 0,
  });
  const fifth = await gw.api("/v1/chat/completions", { json: chatRequest() });
  await fifth.body?.cancel();
  assert.equal(exhausted.hits.length, 4, "after a reset the account is tried again");
  assertAccount(await gw.account("codex"), { state: "active", strikes: 1 });
});

Deno.test("a success resets the strikes: only consecutive 403s count", async () => {
  const answers = [403, 403, 200, 403, 403];
  await using flaky = upstream((_request, hit) => {
    const status = answers[flaky.hits.indexOf(hit)];
    return status === 200 ? json(200, chatCompletion("ok")) : json(403, USAGE_LIMIT_403);
  });
  await using backup = upstream(() => json(200, chatCompletion("backup")));
  await using gw = await startGateway({
    accounts: [
      { id: "flaky", upstream: flaky, passthrough: true, priority: 1 },
      { id: "backup", upstream: backup, priority: 2 },
    ],
    failover: { forbiddenStrikes: 3, cooldownSeconds: { forbidden: 0 } },
  });
  const call = async () => {
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    return response.headers.get("x-switchyard-account");
  };

  assert.equal(await call(), "backup");
  assert.equal(await call(), "backup");
  assertAccount(await gw.account("flaky"), { state: "active", strikes: 2 });
  assert.equal(await call(), "flaky");
  // The reset is written off the response path; wait for it before the next 403.
  await eventually(async () => (await gw.account("flaky")).strikes === 0, "strikes to reset");
  assert.equal(await call(), "backup");
  assert.equal(await call(), "backup");
  assertAccount(await gw.account("flaky"), { state: "active", strikes: 2 });
  assert.equal(flaky.hits.length, 5);
});

Deno.test("a refused connection cools the account down as unreachable and fails over", async () => {
  await using healthy = upstream(() => json(200, chatCompletion("ok")));
  await using gw = await startGateway({
    accounts: [
      { id: "gone", upstream: `${refusedUrl()}/v1`, priority: 1 },
      { id: "healthy", upstream: healthy, priority: 2 },
    ],
    failover: { cooldownSeconds: COOLDOWNS },
  });
  const before = Date.now();
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  const after = Date.now();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "healthy");
  await response.body?.cancel();
  assertAccount(await gw.account("gone"), {
    state: "cooldown",
    reason: "unreachable",
    strikes: 0,
    until: { from: before + 33 * SECOND, to: after + 33 * SECOND },
  });
});

Deno.test("no response headers within headersTimeoutSeconds: unreachable, fail over", async () => {
  const gaveUp = latch();
  const testOver = latch();
  await using slow = upstream(async (request) => {
    const response = await hangUntilAborted(request, testOver.promise);
    gaveUp.resolve();
    return response;
  });
  await using healthy = upstream(() => json(200, chatCompletion("ok")));
  await using gw = await startGateway({
    accounts: [
      { id: "slow", upstream: slow, priority: 1 },
      { id: "healthy", upstream: healthy, priority: 2 },
    ],
    failover: { headersTimeoutSeconds: 0.2, cooldownSeconds: COOLDOWNS },
  });
  using _ = openOnExit(testOver);
  const response = await within(
    gw.api("/v1/chat/completions", { json: chatRequest() }),
    "the gateway to give up on the slow account",
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "healthy");
  await response.body?.cancel();
  await within(gaveUp.promise, "the slow upstream's request to be aborted");
  const view = await gw.account("slow");
  assert.equal(view.state, "cooldown");
  assert.equal(view.reason, "unreachable");
});

Deno.test("the headers timeout does not cut a slow body once headers arrived", async () => {
  const firstSent = latch();
  await using slowBody = upstream(() => {
    const encoder = new TextEncoder();
    return new Response(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode('{"part":'));
          firstSent.resolve();
          // Past the 50 ms headers timeout with the body still open (a wait, not a measurement).
          await new Promise((resolve) => setTimeout(resolve, 150));
          controller.enqueue(encoder.encode('"two"}'));
          controller.close();
        },
      }),
      { headers: { "content-type": "application/json" } },
    );
  });
  await using gw = await startGateway({
    accounts: [{ id: "a", upstream: slowBody }],
    failover: { headersTimeoutSeconds: 0.05 },
  });
  const response = await within(
    gw.api("/v1/chat/completions", { json: chatRequest() }),
    "the answer",
  );
  assert.ok(firstSent.settled);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { part: "two" });
});

Deno.test("a JSON success that breaks off mid-body moves to the next account", async () => {
  await using cut = upstream(() => {
    const encoder = new TextEncoder();
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('{"id":"chatcmpl-cut","choices":[{"mess'));
          controller.error(new Error("upstream went away"));
        },
      }),
      { headers: { "content-type": "application/json" } },
    );
  });
  await using good = upstream(() => json(200, chatCompletion("whole")));
  await using gw = await startGateway({
    accounts: [{ id: "cut", upstream: cut, priority: 0 }, {
      id: "good",
      upstream: good,
      priority: 1,
    }],
  });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "good");
  const body = await response.json();
  assert.equal(body.choices[0].message.content, "whole");
  assert.equal(good.hits.length, 1);
  assert.equal(cut.hits.length, 1);
  const view = await gw.account("cut");
  assert.equal(view.state, "cooldown");
});

Deno.test("a JSON success shorter than its Content-Length moves to the next account", async () => {
  await using short = rawUpstream(async (exchange) => {
    await exchange.write(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" +
        '{"id":"chatcmpl-short","choices":[',
    );
    exchange.close();
  });
  await using good = upstream(() => json(200, chatCompletion("whole")));
  await using gw = await startGateway({
    accounts: [
      { id: "short", upstream: short, priority: 0 },
      { id: "good", upstream: good, priority: 1 },
    ],
  });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "good");
  assert.equal((await response.json()).choices[0].message.content, "whole");
});

Deno.test("a client that leaves while a JSON answer is read costs the account nothing", async () => {
  const firstSent = latch();
  const upstreamCancelled = latch();
  await using slowBody = upstream(() => {
    const encoder = new TextEncoder();
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('{"part":'));
          firstSent.resolve();
        },
        cancel: () => upstreamCancelled.resolve(),
      }),
      { headers: { "content-type": "application/json" } },
    );
  });
  await using gw = await startGateway({ accounts: [{ id: "a", upstream: slowBody }] });
  const client = new AbortController();
  const answered = gw.api("/v1/chat/completions", { json: chatRequest(), signal: client.signal });
  await within(firstSent.promise, "the upstream to send part of its answer");
  // Give the gateway time to take the headers and start reading the body (a wait, not a measurement).
  await new Promise((resolve) => setTimeout(resolve, 200));
  client.abort();
  await assert.rejects(answered);
  await within(upstreamCancelled.promise, "the upstream's answer to be cancelled");
  await eventually(() => gw.log.length === 1, "the request's log line");
  assert.deepEqual(gw.log[0].attempts.map((attempt) => attempt.outcome), ["client-gone"]);
  const view = await gw.account("a");
  assert.notEqual(view.state, "cooldown");
});

Deno.test("a 400 is passed back verbatim, headers included, with no failover", async () => {
  const body = '{"error":{"message":"bad \\"model\\"","type":"invalid_request_error"}}\n';
  await using picky = upstream(() =>
    new Response(body, {
      status: 400,
      headers: { "content-type": "application/json; charset=utf-8", "x-request-id": "req_123" },
    })
  );
  await using other = upstream(() => json(200, chatCompletion("never")));
  await using gw = await startGateway({
    accounts: [
      { id: "picky", upstream: picky, priority: 1 },
      { id: "other", upstream: other, priority: 2 },
    ],
  });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 400);
  assert.equal(await response.text(), body);
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(response.headers.get("x-request-id"), "req_123");
  assert.equal(other.hits.length, 0);
  assertAccount(await gw.account("picky"), { state: "active", strikes: 0 });
});

Deno.test("error bodies over 64 KiB are passed back whole", async (t) => {
  // 200 KiB, with a marker at the very end that a 64 KiB prefix would lose.
  const big = JSON.stringify({
    error: { message: "x".repeat(200 * 1024), type: "invalid_request_error", tail: "END" },
  });

  await t.step("a passed-back 400", async () => {
    await using picky = upstream(() => new Response(big, { status: 400 }));
    await using gw = await startGateway({ accounts: [{ id: "a", upstream: picky }] });
    const response = await within(
      gw.api("/v1/chat/completions", { json: chatRequest() }),
      "the gateway to answer",
    );
    assert.equal(response.status, 400);
    const text = await within(response.text(), "the whole body");
    assert.equal(text.length, big.length);
    assert.equal(text, big);
  });

  await t.step("the last failover error when every candidate fails", async () => {
    await using first = upstream(() => json(503, openaiError("first")));
    await using last = upstream(() => new Response(big, { status: 503 }));
    await using gw = await startGateway({
      accounts: [
        { id: "first", upstream: first, priority: 1 },
        { id: "last", upstream: last, priority: 2 },
      ],
    });
    const response = await within(
      gw.api("/v1/chat/completions", { json: chatRequest() }),
      "the gateway to answer",
    );
    assert.equal(response.status, 503);
    assert.equal(await within(response.text(), "the whole body"), big);
  });
});

Deno.test("when every candidate fails the client gets the last upstream error verbatim", async () => {
  await using a = upstream(() => json(503, openaiError("a is down")));
  await using b = upstream(() =>
    json(429, openaiError("b is busy", "rate_limit_error"), { "retry-after": "30" })
  );
  await using gw = await startGateway({
    accounts: [
      { id: "a", upstream: a, priority: 1 },
      { id: "b", upstream: b, priority: 2 },
    ],
  });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 429);
  assert.deepEqual(await response.json(), openaiError("b is busy", "rate_limit_error"));
  assert.equal(response.headers.get("retry-after"), "30");
  assert.equal(response.headers.get("x-switchyard-account"), "b");
  assert.equal(a.hits.length, 1, "each account is tried once");
  assert.equal(b.hits.length, 1, "each account is tried once");
});

Deno.test("when the last attempt is a connection error the client gets 502 in its surface's shape", async (t) => {
  await t.step("OpenAI surface, refused", async () => {
    await using a = upstream(() => json(500, openaiError("a broke")));
    await using gw = await startGateway({
      accounts: [
        { id: "a", upstream: a, priority: 1 },
        { id: "b", upstream: `${refusedUrl()}/v1`, priority: 2 },
      ],
    });
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 502);
    const body = await response.json();
    assert.equal(typeof body.error.message, "string");
    assert.equal(body.error.type, "server_error");
    assert.equal(body.type, undefined);
    assert.equal(a.hits.length, 1);
  });

  await t.step("Anthropic surface, headers timeout", async () => {
    await using a = upstream(() => json(529, anthropicError("Overloaded", "overloaded_error")));
    const testOver = latch();
    await using slow = upstream((request) => hangUntilAborted(request, testOver.promise));
    await using gw = await startGateway({
      accounts: [
        { id: "a", upstream: a, platform: "anthropic", priority: 1 },
        { id: "slow", upstream: slow, platform: "anthropic", priority: 2 },
      ],
      failover: { headersTimeoutSeconds: 0.2 },
    });
    using _ = openOnExit(testOver);
    const response = await within(
      gw.api("/v1/messages", { json: messagesRequest() }),
      "the gateway to give up",
    );
    assert.equal(response.status, 502);
    const body = await response.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "api_error");
    assert.equal(typeof body.error.message, "string");
    assert.equal(slow.hits.length, 1);
  });
});

Deno.test("maxSwitches bounds the accounts tried to 1 + maxSwitches", async (t) => {
  for (const maxSwitches of [0, 1, 2]) {
    await t.step(`maxSwitches ${maxSwitches}`, async () => {
      const mocks = ["a", "b", "c", "d"].map((id) =>
        upstream(() => json(503, openaiError(`${id} is down`)))
      );
      try {
        await using gw = await startGateway({
          accounts: mocks.map((mock, index) => ({
            id: "abcd"[index],
            upstream: mock,
            priority: index,
          })),
          failover: { maxSwitches },
        });
        const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
        assert.equal(response.status, 503);
        const last = "abcd"[maxSwitches];
        assert.deepEqual(await response.json(), openaiError(`${last} is down`));
        assert.deepEqual(
          mocks.map((mock) => mock.hits.length),
          [0, 1, 2, 3].map((index) => index <= maxSwitches ? 1 : 0),
        );
      } finally {
        for (const mock of mocks) await mock.close();
      }
    });
  }
});

Deno.test("when every account is cooling the client gets 429 with Retry-After of the earliest", async (t) => {
  await t.step("OpenAI surface", async () => {
    await using a = upstream(() => json(429, openaiError("a"), { "retry-after": "300" }));
    await using b = upstream(() => json(429, openaiError("b"), { "retry-after": "120" }));
    await using gw = await startGateway({
      accounts: [
        { id: "a", upstream: a, priority: 1 },
        { id: "b", upstream: b, priority: 2 },
      ],
    });
    const first = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(first.status, 429);
    assert.deepEqual(await first.json(), openaiError("b"));

    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 429);
    const retryAfter = Number(response.headers.get("retry-after"));
    assert.ok(Number.isInteger(retryAfter), "whole seconds");
    // 120 s from the first request, rounded up: never more, and only the time between requests less.
    assert.ok(retryAfter <= 120 && retryAfter >= 100, `Retry-After ${retryAfter}`);
    const body = await response.json();
    assert.equal(body.error.type, "rate_limit_error");
    assert.equal(typeof body.error.message, "string");
    assert.equal(a.hits.length, 1, "no upstream call while cooling");
    assert.equal(b.hits.length, 1, "no upstream call while cooling");
  });

  await t.step("Anthropic surface, with one account disabled and one cooling", async () => {
    await using dead = upstream(() => json(401, anthropicError("bad key", "authentication_error")));
    await using busy = upstream(() =>
      json(429, anthropicError("busy", "rate_limit_error"), { "retry-after": "60" })
    );
    await using gw = await startGateway({
      accounts: [
        { id: "dead", upstream: dead, platform: "anthropic", priority: 1 },
        { id: "busy", upstream: busy, platform: "anthropic", priority: 2 },
      ],
    });
    const first = await gw.api("/v1/messages", { json: messagesRequest() });
    assert.equal(first.status, 429);
    await first.body?.cancel();
    assert.equal((await gw.account("dead")).state, "disabled");

    const response = await gw.api("/v1/messages", { json: messagesRequest() });
    assert.equal(response.status, 429);
    const retryAfter = Number(response.headers.get("retry-after"));
    assert.ok(retryAfter <= 60 && retryAfter >= 40, `Retry-After ${retryAfter}`);
    const body = await response.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "rate_limit_error");
    assert.equal(dead.hits.length + busy.hits.length, 2);
  });
});

Deno.test("when every account is disabled the client gets 503 in its surface's shape", async (t) => {
  await t.step("OpenAI surface", async () => {
    await using dead = upstream(() => json(401, openaiError("revoked", "invalid_request_error")));
    await using gw = await startGateway({ accounts: [{ id: "dead", upstream: dead }] });
    const first = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(first.status, 401, "the upstream's own 401 is the last error");
    assert.deepEqual(await first.json(), openaiError("revoked", "invalid_request_error"));

    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 503);
    const body = await response.json();
    assert.deepEqual(Object.keys(body), ["error"]);
    assert.equal(typeof body.error.message, "string");
    assert.equal(body.error.type, "server_error");
    assert.equal(dead.hits.length, 1);
  });

  await t.step("Anthropic surface", async () => {
    await using dead = upstream(() => json(402, anthropicError("pay up", "billing_error")));
    await using gw = await startGateway({
      accounts: [{ id: "dead", upstream: dead, platform: "anthropic" }],
    });
    const first = await gw.api("/v1/messages", { json: messagesRequest() });
    assert.equal(first.status, 402);
    await first.body?.cancel();

    const response = await gw.api("/v1/messages", { json: messagesRequest() });
    assert.equal(response.status, 503);
    const body = await response.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "overloaded_error");
    assert.equal(typeof body.error.message, "string");
    assert.equal(dead.hits.length, 1);
  });
});

Deno.test("a group without translation and without an account for the API answers 400 naming both, with no upstream call", async (t) => {
  await using openai = upstream(() => json(200, chatCompletion("ok")));
  await using claude = upstream(() => json(200, anthropicMessage("ok")));
  await using gw = await startGateway({
    accounts: [
      { id: "oa", upstream: openai },
      { id: "claude", upstream: claude, platform: "anthropic" },
    ],
    groups: [
      { id: "openai-only", accounts: ["oa"], translate: false },
      { id: "claude-only", accounts: ["claude"], translate: false },
    ],
    keys: [
      { id: "o", key: "sk-openai-only-key", group: "openai-only" },
      { id: "c", key: "sk-claude-only-key", group: "claude-only" },
    ],
  });

  await t.step("Anthropic path, OpenAI-only group", async () => {
    const response = await gw.api("/v1/messages", {
      json: messagesRequest(),
      key: "sk-openai-only-key",
    });
    // A configuration gap, not an outage: not 503/overloaded_error, which clients retry.
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "invalid_request_error");
    assert.equal(
      body.error.message,
      'group "openai-only" has no account for the Anthropic Messages API (POST /v1/messages); ' +
        "an operator can add one to the group",
    );
  });

  await t.step("OpenAI path, Anthropic-only group", async () => {
    const response = await gw.api("/v1/chat/completions", {
      json: chatRequest(),
      key: "sk-claude-only-key",
    });
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.type, undefined);
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /^group "claude-only" has no account for the OpenAI API /);
  });

  assert.equal(openai.hits.length, 0);
  assert.equal(claude.hits.length, 0);
});

Deno.test("equal priorities take turns: the least recently used goes first", async () => {
  await using a = upstream(() => json(200, chatCompletion("a")));
  await using b = upstream(() => json(200, chatCompletion("b")));
  await using gw = await startGateway({
    accounts: [{ id: "a", upstream: a }, { id: "b", upstream: b }],
  });
  const served: (string | null)[] = [];
  for (let i = 0; i < 4; i++) {
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    await response.body?.cancel();
    served.push(response.headers.get("x-switchyard-account"));
  }
  assert.deepEqual(served, ["a", "b", "a", "b"]);
});

Deno.test("a cooldown persists in the KV file across gateway restarts", async () => {
  await using a = upstream(() => json(429, openaiError("busy"), { "retry-after": "600" }));
  await using b = upstream(() => json(200, chatCompletion("b")));
  const dir = await Deno.makeTempDir({ prefix: "switchyard-restart-" });
  try {
    const path = `${dir}/state.kv`;
    const spec = {
      accounts: [
        { id: "a", upstream: a, priority: 1 },
        { id: "b", upstream: b, priority: 2 },
      ],
      kvPath: path,
    };
    {
      await using gw = await startGateway(spec);
      const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
      await response.body?.cancel();
      assert.equal(a.hits.length, 1);
    }
    {
      await using gw = await startGateway(spec);
      const view = await gw.account("a");
      assert.equal(view.state, "cooldown");
      const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
      await response.body?.cancel();
      assert.equal(response.headers.get("x-switchyard-account"), "b");
      assert.equal(a.hits.length, 1, "the restarted gateway skips the cooling account");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the account header names the serving account, whatever the upstream sent in its place", async () => {
  await using spoofing = upstream(() =>
    new Response(JSON.stringify(chatCompletion("hi")), {
      headers: { "content-type": "application/json", "x-switchyard-account": "someone-else" },
    })
  );
  await using gw = await startGateway({ accounts: [{ id: "real", upstream: spoofing }] });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  await response.body?.cancel();
  assert.equal(response.headers.get("x-switchyard-account"), "real");
});

bothKvs("403 strikes add up across two gateway processes on one KV", async (kv) => {
  await using exhausted = upstream(() => json(403, USAGE_LIMIT_403));
  await using healthy = upstream(() => json(200, chatCompletion("ok")));
  const spec = {
    accounts: [
      { id: "codex", upstream: exhausted, passthrough: true, priority: 1 },
      { id: "backup", upstream: healthy, priority: 2 },
    ],
    // A zero cooldown lets the very next request, of either process, try the account again.
    failover: { forbiddenStrikes: 3, cooldownSeconds: { forbidden: 0 } },
    kvPath: kv.location,
  };
  await using one = await startGateway(spec);
  await using two = await startGateway(spec);
  const call = async (gw: typeof one) => {
    const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  };
  const strikesSeenBy = (strikes: number) =>
    eventually(async () => {
      const views = await Promise.all([one.account("codex"), two.account("codex")]);
      return views.every((view) => view.strikes === strikes);
    }, `both processes to see ${strikes} strikes`);

  // The strikes alternate between the processes: each counts on top of the other's.
  await call(one);
  await strikesSeenBy(1);
  await call(two);
  await strikesSeenBy(2);
  assertAccount(await one.account("codex"), { state: "active", strikes: 2 });
  await call(one);
  // The other process learns of it within the shared KV's bound: at once on a file, when its watch
  // delivers on a remote KV (docs/several-hosts.md). The writer itself knows at once on both.
  await eventually(
    async () => (await two.account("codex")).state === "disabled",
    "the disable to reach the other process",
  );
  for (const gw of [one, two]) {
    assertAccount(await gw.account("codex"), {
      state: "disabled",
      strikes: 3,
      reason: /3 consecutive 403/,
    });
  }
  assert.equal(exhausted.hits.length, 3);
  await call(two);
  await call(one);
  assert.equal(exhausted.hits.length, 3, "a disabled account gets no traffic from either process");

  // A reset through one process lets the other try the account again.
  const reset = await one.admin("/admin/accounts/codex/reset", { method: "POST" });
  assert.equal(reset.status, 200);
  await reset.body?.cancel();
  await eventually(
    async () => (await two.account("codex")).state === "active",
    "the reset to reach the other process",
  );
  await call(two);
  assert.equal(exhausted.hits.length, 4, "after a reset the account is tried again");
});
