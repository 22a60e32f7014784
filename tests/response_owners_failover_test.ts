/**
 * A stored response served after a failover is the key's like any other,
 * over real sockets: a group of two OpenAI keys, P1 first, P1 answering 429.
 * Whatever way the create reached P2 (JSON, a stream, a stream that first
 * waited for a concurrency slot), the same key continues from its id, and the
 * follow-up goes to P2, which stores it. P1's cooldown is cleared before each
 * follow-up, so P1 is first in line again: the follow-up reaches P2 (and P1
 * sees nothing) only because the gateway routes it to the response's owner.
 */

import assert from "node:assert/strict";
import { eventually, type Latch, latch, openOnExit } from "./support/async.ts";
import { CLIENT_KEY, startGateway, type TestGateway } from "./support/gateway.ts";
import { bothKvs } from "./support/shared_kv.ts";
import { sseText, trickledResponse } from "./support/streams.ts";
import { json, openaiError, type TestUpstream, upstream } from "./support/upstream.ts";

const MODEL = "gpt-resp";

/** P1: every request answered 429. */
function rateLimited(): TestUpstream {
  return upstream(() =>
    json(429, openaiError("Rate limit reached", "rate_limit_error"), { "retry-after": "20" })
  );
}

/**
 * P2: a Responses API that stores what it creates and refuses a
 * `previous_response_id` it did not create (as OpenAI does). Streams are cut
 * at odd bytes, inside the id; a stream waits for `holds.shift()` (if any)
 * before it completes.
 */
function storingApi(label: string, holds: Promise<void>[] = []): TestUpstream {
  const stored = new Set<string>();
  return upstream(async (_request, hit) => {
    const body = JSON.parse(hit.body);
    const previous = body.previous_response_id;
    if (previous !== undefined && !stored.has(previous)) {
      return json(400, openaiError(`Previous response with id '${previous}' not found.`));
    }
    const id = `resp_${label}${stored.size + 1}`;
    stored.add(id);
    const response = { id, object: "response", status: "completed", model: MODEL, store: true };
    if (!body.stream) return json(200, { ...response, previous_response_id: previous ?? null });
    const hold = holds.shift();
    if (hold) await hold;
    const text = sseText([
      ["response.created", {
        type: "response.created",
        response: { ...response, status: "in_progress" },
      }],
      ["response.output_text.delta", { type: "response.output_text.delta", delta: "Hi" }],
      ["response.completed", { type: "response.completed", response }],
    ]);
    const inId = text.indexOf(id) + 7;
    return trickledResponse(text, [3, inId, inId + 5, text.indexOf("delta") + 2]);
  });
}

/** The response id in a JSON body or an event stream. */
function idIn(text: string): string {
  const id = /"id":"(resp_[a-z0-9]+)"/.exec(text)?.[1];
  assert.ok(id, `no response id in ${text}`);
  return id;
}

async function followUp(gw: TestGateway, id: string): Promise<Response> {
  return await gw.api("/v1/responses", {
    json: { model: MODEL, input: "and then?", previous_response_id: id },
  });
}

/**
 * The follow-up goes straight to P2, with P1 ready and first in line (its
 * cooldown cleared): a failover from P1 would end on P2 as well, so P1 must
 * see no request and the log one attempt.
 */
async function assertContinuesOnP2(
  gw: TestGateway,
  p1: TestUpstream,
  p2: TestUpstream,
  id: string,
): Promise<void> {
  const reset = await gw.admin("/admin/accounts/p1/reset", { method: "POST" });
  assert.equal(reset.status, 200, await reset.text());
  const p1Hits = p1.hits.length;
  const next = await followUp(gw, id);
  const text = await next.text();
  assert.equal(next.status, 200, text);
  assert.equal(next.headers.get("x-switchyard-account"), "p2");
  assert.equal(JSON.parse(p2.hits.at(-1)!.body).previous_response_id, id);
  assert.equal(p1.hits.length, p1Hits, "P1 was not asked: the owner's account was");
  await eventually(
    () => gw.log.at(-1)?.attempts.map((a) => `${a.account}:${a.outcome}`).join() === "p2:success",
    "one attempt, on P2",
  );
}

Deno.test("a response created after a failover is continued from, on the account that has it", async (t) => {
  await using p1 = rateLimited();
  await using p2 = storingApi("p");
  await using gw = await startGateway({
    accounts: [{ id: "p1", upstream: p1, priority: 1 }, { id: "p2", upstream: p2, priority: 2 }],
  });

  await t.step("non-streaming: 429 from P1, 200 from P2", async () => {
    const created = await gw.api("/v1/responses", { json: { model: MODEL, input: "hi" } });
    const text = await created.text();
    assert.equal(created.status, 200, text);
    assert.equal(created.headers.get("x-switchyard-account"), "p2");
    assert.deepEqual(gw.log.at(-1)!.attempts.map((a) => `${a.account}:${a.outcome}`), [
      "p1:failover",
      "p2:success",
    ]);
    await assertContinuesOnP2(gw, p1, p2, idIn(text));
  });

  await t.step(
    "streaming, after P1's cooldown is cleared: 429 from P1, a stream from P2",
    async () => {
      const reset = await gw.admin("/admin/accounts/p1/reset", { method: "POST" });
      await reset.body?.cancel();
      const created = await gw.api("/v1/responses", {
        json: { model: MODEL, input: "hi", stream: true },
      });
      const text = await created.text();
      assert.equal(created.headers.get("x-switchyard-account"), "p2");
      assert.deepEqual(gw.log.at(-1)!.attempts.map((a) => `${a.account}:${a.outcome}`), [
        "p1:failover",
        "p2:success",
      ]);
      await assertContinuesOnP2(gw, p1, p2, idIn(text));
    },
  );
});

Deno.test("a streamed create that waited for a slot, then failed over, is the key's too", async () => {
  const holding: Latch = latch();
  await using p1 = rateLimited();
  await using p2 = storingApi("q", [holding.promise]);
  await using gw = await startGateway({
    config: {
      accounts: [
        { id: "p1", platform: "openai", baseUrl: `${p1.url}/v1`, apiKey: "sk-p1", priority: 1 },
        { id: "p2", platform: "openai", baseUrl: `${p2.url}/v1`, apiKey: "sk-p2", priority: 2 },
      ],
      groups: [{ id: "team", accounts: ["p1", "p2"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team", concurrency: 1 }],
    },
    tuning: { keepAliveMs: 50, queuePollMs: 20 },
  });
  using _open = openOnExit(holding);

  // The key's one slot is taken by a stream P2 holds open (after P1's 429).
  const first = gw.api("/v1/responses", { json: { model: MODEL, input: "one", stream: true } });
  await eventually(() => p2.hits.length === 1, "the first request on P2");
  // P1 answers again: the waiting request fails over too.
  const reset = await gw.admin("/admin/accounts/p1/reset", { method: "POST" });
  await reset.body?.cancel();
  const waiting = await gw.api("/v1/responses", {
    json: { model: MODEL, input: "two", stream: true },
  });
  assert.equal(waiting.headers.get("x-switchyard-queued"), "true");
  holding.resolve();
  await (await first).text();
  const text = await waiting.text();
  assert.match(text, /: waiting for a free account slot/);
  assert.match(text, /response\.completed/);
  await eventually(() => gw.log.length === 2, "both requests logged");
  for (const entry of gw.log) {
    assert.deepEqual(entry.attempts.map((a) => `${a.account}:${a.outcome}`), [
      "p1:failover",
      "p2:success",
    ]);
  }
  await assertContinuesOnP2(gw, p1, p2, idIn(text));
});

bothKvs("another gateway process on the same KV continues from it at once", async (kv) => {
  await using p1 = rateLimited();
  await using p2 = storingApi("m");
  const spec = {
    accounts: [{ id: "p1", upstream: p1, priority: 1 }, { id: "p2", upstream: p2, priority: 2 }],
    kvPath: kv.location,
  };
  await using one = await startGateway(spec);
  await using two = await startGateway(spec);
  for (const stream of [false, true, false, true, false]) {
    const reset = await one.admin("/admin/accounts/p1/reset", { method: "POST" });
    await reset.body?.cancel();
    const created = await one.api("/v1/responses", {
      json: { model: MODEL, input: "hi", stream },
    });
    const text = await created.text();
    assert.equal(created.headers.get("x-switchyard-account"), "p2", text);
    await assertContinuesOnP2(two, p1, p2, idIn(text));
  }
});
