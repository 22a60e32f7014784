import assert from "node:assert/strict";
import { json, startMockUpstream } from "../scripts/support/mock_upstream.ts";
import { callApi, configDoc, SECRET, startGateway, tempKvPath } from "./support/gateway.ts";
import { bothKvs } from "./support/shared_kv.ts";

/** Accounts "a" and "b": each answers 200 naming itself, or 429 (retry in 60 s) while in `failing`. */
function twoAccounts(failing: Set<string>) {
  const mock = (id: string) =>
    startMockUpstream(() =>
      failing.has(id)
        ? json(429, { error: { message: "slow down", type: "rate_limit_error" } }, {
          "retry-after": "60",
        })
        : json(200, { served: id })
    );
  const a = mock("a");
  const b = mock("b");
  const doc = configDoc([
    { id: "a", platform: "openai", baseUrl: a.url, apiKey: "sk-a" },
    { id: "b", platform: "openai", baseUrl: b.url, apiKey: "sk-b" },
  ]);
  return { a, b, doc };
}

Deno.test("sticky sessions bind, hold, rebind on failover and never pin keyless traffic", async () => {
  const tmp = await tempKvPath();
  const failing = new Set<string>();
  const { a, b, doc } = twoAccounts(failing);
  const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
  const served = async (headers: Record<string, string>, body: unknown = { model: "m" }) => {
    const response = await callApi(gw.url, "/v1/chat/completions", { json: body, headers });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    return response.headers.get("x-switchyard-account")!;
  };
  try {
    // Without a session key, least-recently-used spreads requests: no pinning.
    const keyless = [await served({}), await served({}), await served({})];
    assert.deepEqual(new Set(keyless), new Set(["a", "b"]));

    // A session sticks to the account that first served it, although LRU would alternate.
    const first = await served({ session_id: "conv-1" });
    for (let i = 0; i < 4; i++) assert.equal(await served({ session_id: "conv-1" }), first);
    // The same session through the body key is a different session, and sticks too.
    const viaBody = await served({}, { model: "m", prompt_cache_key: "cache-7" });
    assert.equal(await served({}, { model: "m", prompt_cache_key: "cache-7" }), viaBody);

    // The bound account starts failing: the request fails over and the session moves.
    const other = first === "a" ? "b" : "a";
    failing.add(first);
    assert.equal(await served({ session_id: "conv-1" }), other);
    failing.delete(first);
    await gw.gateway.states.reset(first);
    assert.equal(await served({ session_id: "conv-1" }), other, "the binding moved");

    // A bound account that is cooling is replaced at once (availability beats stickiness).
    await gw.gateway.states.apply(other, {
      kind: "cooldown",
      reason: "rateLimited",
      until: Date.now() + 60_000,
      strike: false,
    });
    assert.equal(await served({ session_id: "conv-1" }), first);
    await gw.gateway.states.reset(other);
    assert.equal(await served({ session_id: "conv-1" }), first, "rebound to the replacement");
  } finally {
    await gw.close();
    await a.close();
    await b.close();
    await tmp.cleanup();
  }
});

bothKvs("a session bound through one gateway process is held and moved by another", async (kv) => {
  const failing = new Set<string>();
  const { a, b, doc } = twoAccounts(failing);
  const one = await startGateway({ config: doc, kvPath: kv.location, secret: SECRET });
  const two = await startGateway({ config: doc, kvPath: kv.location, secret: SECRET });
  const served = async (url: string, headers: Record<string, string> = {}) => {
    const response = await callApi(url, "/v1/chat/completions", { json: { model: "m" }, headers });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    return response.headers.get("x-switchyard-account")!;
  };
  try {
    const first = await served(one.url, { session_id: "conv-9" });
    // The other process holds it, although its least-recently-used choice would alternate.
    for (let i = 0; i < 4; i++) {
      assert.equal(await served(two.url, { session_id: "conv-9" }), first);
      assert.equal(await served(one.url, { session_id: "conv-9" }), first);
    }
    // The bound account fails on the other process: it fails over and moves the binding.
    const other = first === "a" ? "b" : "a";
    failing.add(first);
    assert.equal(await served(two.url, { session_id: "conv-9" }), other);
    failing.delete(first);
    await one.gateway.states.reset(first);
    await two.gateway.states.reset(first);
    for (const gw of [one, two]) {
      assert.equal(await served(gw.url, { session_id: "conv-9" }), other, "the binding moved");
    }
  } finally {
    await two.close();
    await one.close();
    await a.close();
    await b.close();
  }
});
