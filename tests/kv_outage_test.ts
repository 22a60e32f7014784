/**
 * A remote KV that cannot be reached (issue 19): two gateways on one remote
 * KV through the KV Connect test server (`scripts/kv_server.ts`), whose fault
 * switches cut it off mid-load. Requests (JSON and streams, with rpm,
 * concurrency and a budget configured) keep being answered and none hangs,
 * `/healthz` says `degraded`; when the KV is back, usage recorded equals
 * usage served and `/healthz` says `ok` again. Also: each way the store can
 * fail (503s, dropped connections, a cut body, no answer, an expired token),
 * limits' direction while it is down, and admin changes refused with a 503.
 */

import assert from "node:assert/strict";
import { chatChunks, chatCompletion, json, sse } from "../scripts/support/mock_upstream.ts";
import { eventually, within } from "./support/async.ts";
import { callApi, readJson, SECRET, startGateway, type TestGateway } from "./support/gateway.ts";
import type { KvServer } from "./support/kv_server.ts";
import { sharedKv } from "./support/shared_kv.ts";
import { upstream } from "./support/upstream.ts";
import { utcDay } from "../lib/usage/recorder.ts";
import { KvUnreachable } from "../lib/kv/reachability.ts";

const KEY = "key-load-0123456789";
const CAPPED = "key-capped-0123456789";
const PACED = "key-paced-0123456789";
/** Tokens of one answer of the mock: 5 in, 7 out (JSON and streams alike). */
const TOKENS = 12;
/** Shorter than the 2 s default, yet long enough that a loaded CI machine does not miss it while the store is up. */
const DEADLINE_MS = 1_000;
/** A request that takes this long hangs. */
const HANG_MS = 5_000;

/** Answers Chat JSON, or a stream with its usage chunk, event by event. */
function mock() {
  return upstream((_request, hit) => {
    const body = JSON.parse(hit.body);
    if (!body.stream) return json(200, chatCompletion("hi"));
    const events = chatChunks(["h", "i", "!"]);
    events.splice(events.length - 1, 0, [
      null,
      JSON.stringify({
        id: "chatcmpl-mock",
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: "gpt-test",
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
      }),
    ]);
    return sse(events, { intervalMs: 5 });
  });
}

function config(upstreamUrl: string) {
  return {
    pricing: { "gpt-test": { input: 1, output: 1 } },
    accounts: [
      {
        id: "oa",
        platform: "openai",
        baseUrl: `${upstreamUrl}/v1`,
        apiKey: "sk-1",
        concurrency: 8,
      },
    ],
    groups: [{ id: "team", accounts: ["oa"] }],
    keys: [
      {
        id: "load",
        key: KEY,
        group: "team",
        rpm: 10_000,
        concurrency: 16,
        dailyTokens: 10_000_000,
        budgets: [{ usd: 1_000, per: "day" }],
      },
      { id: "capped", key: CAPPED, group: "team", dailyTokens: 5 * TOKENS },
      { id: "paced", key: PACED, group: "team", rpm: 3 },
    ],
  };
}

/**
 * Runs `body` with two gateways on one remote KV through the test server and
 * a mock upstream; the body's own failure is the one reported (a gateway that
 * then cannot shut down, as before the fix, is reported after it).
 */
async function withTwoGateways(
  body: (one: TestGateway, two: TestGateway, server: KvServer) => Promise<void>,
): Promise<void> {
  await using kv = await sharedKv("remote");
  await using upstreamMock = mock();
  const start = () =>
    startGateway({
      kvPath: kv.location,
      secret: SECRET,
      usageFlushMs: 100,
      tuning: { kvDeadlineMs: DEADLINE_MS },
      config: config(upstreamMock.url),
    });
  const one = await start();
  const two = await start();
  let failure: unknown;
  try {
    await body(one, two, kv.server!);
  } catch (error) {
    failure = error;
  }
  await kv.server!.faults({ outage: false, hang: false });
  const closed = await Promise.allSettled([one.close(), two.close()]);
  if (failure) throw failure;
  for (const result of closed) if (result.status === "rejected") throw result.reason;
}

/** One request, JSON or a stream, read to its end; its status and whether its answer was whole. */
async function ask(
  gateway: TestGateway,
  stream: boolean,
  key = KEY,
): Promise<{ status: number; whole: boolean }> {
  const response = await callApi(gateway.url, "/v1/chat/completions", {
    key,
    json: { model: "gpt-test", messages: [{ role: "user", content: "hi" }], stream },
  });
  const text = await response.text();
  const whole = stream ? text.includes("data: [DONE]") : text.includes('"content":"hi"');
  return { status: response.status, whole };
}

async function healthz(gateway: TestGateway): Promise<Record<string, unknown>> {
  const response = await fetch(`${gateway.url}/healthz`);
  assert.equal(response.status, 200);
  return await response.json();
}

/** `n` requests spread over both gateways, half streams; each must end within {@linkcode HANG_MS}. */
async function load(gateways: readonly TestGateway[], n: number, what: string) {
  const results = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        within(ask(gateways[i % gateways.length], i % 2 === 1), `${what}: request ${i}`, HANG_MS),
    ),
  );
  for (const [i, result] of results.entries()) {
    assert.deepEqual(result, { status: 200, whole: true }, `${what}: request ${i}`);
  }
  return results.length;
}

/** Tokens and requests of key `load` today, as recorded in KV (after both flush). */
/**
 * Usage as KV holds it after every gateway flushed; `undefined` while a flush
 * still meets the store as down (a loaded machine can push one call past the
 * short test deadline just after recovery), so `eventually` asks again.
 */
async function recorded(gateways: readonly TestGateway[]) {
  try {
    for (const gateway of gateways) await gateway.gateway.usage.flush();
  } catch (error) {
    if (error instanceof KvUnreachable) return undefined;
    throw error;
  }
  const day = utcDay(Date.now());
  const rows = await gateways[0].gateway.usage.query(day, day, "key");
  const row = rows.find((r) => r.id === "load");
  return { tokens: (row?.input ?? 0) + (row?.output ?? 0), requests: row?.requests ?? 0 };
}

Deno.test("KV outage mid-load: two gateways keep answering, /healthz degrades, usage is exact after recovery", async () => {
  await withTwoGateways(async (one, two, server) => {
    const both = [one, two];
    let served = await load(both, 8, "before the outage");
    assert.deepEqual(await healthz(one), { status: "ok" });

    await server.faults({ outage: "503" });
    // Load that starts while the store goes away, then more while it is away.
    served += await load(both, 16, "as the outage begins");
    served += await load(both, 16, "during the outage");
    for (const gateway of both) {
      const body = await healthz(gateway);
      assert.equal(body.status, "degraded");
      const kvStatus = body.kv as Record<string, unknown>;
      assert.equal(kvStatus.reachable, false);
      assert.ok(!Number.isNaN(Date.parse(kvStatus.since as string)), `since: ${kvStatus.since}`);
    }

    await server.faults({ outage: false });
    for (const gateway of both) {
      await eventually(
        async () => (await healthz(gateway)).status === "ok",
        "/healthz ok again after the outage",
      );
    }
    served += await load(both, 4, "after the outage");
    assert.deepEqual(
      await eventually(async () => {
        const seen = await recorded(both);
        return seen?.requests === served ? seen : undefined;
      }, "usage of every request served"),
      { tokens: served * TOKENS, requests: served },
    );
  });
});

for (
  const [mode, fault] of [
    ["503s", { outage: "503" }],
    ["dropped connections", { outage: "drop" }],
    ["a body cut off", { outage: "cut" }],
    ["no answer at all", { hang: true }],
  ] as const
) {
  Deno.test(`KV outage (${mode}): requests are answered, /healthz says degraded, then ok`, async () => {
    await withTwoGateways(async (one, two, server) => {
      let served = await load([one, two], 4, "before");
      await server.faults(fault);
      served += await load([one], 6, `during ${mode}`);
      assert.equal((await healthz(one)).status, "degraded");
      await server.faults({ outage: false, hang: false });
      for (const gateway of [one, two]) {
        await eventually(async () => (await healthz(gateway)).status === "ok", "/healthz ok again");
      }
      served += await load([one, two], 2, "after");
      const seen = await eventually(async () => {
        const seen = await recorded([one, two]);
        return seen?.requests === served ? seen : undefined;
      }, "usage of every request served");
      assert.equal(seen.tokens, served * TOKENS);
    });
  });
}

Deno.test("KV with an expired token: requests are answered and usage still lands", async () => {
  await withTwoGateways(async (one, two, server) => {
    let served = await load([one, two], 4, "before");
    await server.faults({ expireToken: true });
    served += await load([one, two], 6, "after the token expired");
    await eventually(async () => (await healthz(one)).status === "ok", "/healthz ok");
    const seen = await eventually(async () => {
      const seen = await recorded([one, two]);
      return seen?.requests === served ? seen : undefined;
    }, "usage of every request served");
    assert.equal(seen.tokens, served * TOKENS);
  });
});

Deno.test("KV outage: dailyTokens keeps counting locally and refuses when the local view is spent; admin changes get a 503", async () => {
  await withTwoGateways(async (one, _two, server) => {
    // Two answers' tokens are in KV before the store goes away.
    for (let i = 0; i < 2; i++) assert.equal((await ask(one, false, CAPPED)).status, 200);
    await one.gateway.usage.flush();
    assert.equal((await ask(one, false, CAPPED)).status, 200); // reads 24 tokens from KV: admitted
    await server.faults({ outage: "503" });
    // 36 known here; the limit is 60: two more pass, then this process's view says spent.
    const during = [];
    for (let i = 0; i < 3; i++) {
      during.push((await within(ask(one, false, CAPPED), `capped request ${i}`, HANG_MS)).status);
    }
    assert.deepEqual(during, [200, 200, 429]);

    const change = await within(
      one.admin("/admin/keys", { method: "POST", json: { id: "new", group: "team" } }),
      "an admin change during the outage",
      HANG_MS,
    );
    assert.equal(change.status, 503);
    const body = await readJson<{ error: { message: string; type: string } }>(change);
    assert.match(body.error.message, /KV store does not answer/);
    await server.faults({ outage: false });
    await eventually(async () => (await healthz(one)).status === "ok", "/healthz ok again");
  });
});

Deno.test("KV outage: rpm is enforced per process from its own count (fail open across processes, bounded)", async () => {
  await withTwoGateways(async (one, two, server) => {
    // A fixed UTC minute must not turn over mid-test.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_050 - intoMinute));
    assert.equal((await ask(one, false, PACED)).status, 200); // counted in KV and by `one`
    await server.faults({ outage: "503" });
    const statuses = async (gateway: TestGateway, n: number) => {
      const seen = [];
      for (let i = 0; i < n; i++) {
        seen.push((await within(ask(gateway, false, PACED), `paced request ${i}`, HANG_MS)).status);
      }
      return seen;
    };
    // `one` admitted 1 of its 3 before the outage; `two` none: each stops at 3 of its own.
    assert.deepEqual(await statuses(one, 3), [200, 200, 429]);
    assert.deepEqual(await statuses(two, 4), [200, 200, 200, 429]);
  });
});
