/**
 * The idle-connection race: an upstream closes an idle keep-alive connection
 * just as the gateway reuses it, before any response byte. That is no
 * evidence against the account: the request is tried again at once on a fresh
 * connection, the account is not cooled, and the retry is counted
 * (`switchyard_upstream_stale_connection_retries_total`) and logged.
 * The upstream here is raw TCP and closes a connection when a second request
 * arrives on it.
 */

import assert from "node:assert/strict";
import { chatRequest, startGateway } from "./support/gateway.ts";
import { sample } from "./support/prometheus.ts";
import { keepAliveUpstream } from "./support/raw_http.ts";
import { chatCompletion } from "./support/upstream.ts";

const CASES = [
  { name: "a JSON request", body: chatRequest("again?") },
  { name: "a streaming request", body: chatRequest("again?", { stream: true }) },
];

for (const { name, body } of CASES) {
  Deno.test(`${name} on a connection the upstream closed is served by a fresh one, the account not cooled`, async () => {
    await using a = keepAliveUpstream((request) =>
      request.onConnection >= 1 ? "close" : { status: 200, json: chatCompletion("from a") }
    );
    // One account: a healthy account in the group means the request succeeds.
    await using gw = await startGateway({ accounts: [{ id: "a", upstream: `${a.url}/v1` }] });
    const call = async () => {
      const response = await gw.api("/v1/chat/completions", { json: body });
      return { response, text: await response.text() };
    };

    assert.equal((await call()).response.status, 200);
    const { response, text } = await call();
    assert.equal(response.status, 200, text);
    assert.equal(response.headers.get("x-switchyard-account"), "a");
    assert.match(text, /"from a"/);
    assert.deepEqual(a.requests.map((request) => request.onConnection), [0, 1, 0]);
    assert.equal(a.requests[2].body, a.requests[1].body, "the retry sends the same body");

    const view = await gw.account("a");
    assert.equal(view.state, "active", JSON.stringify(view));
    const metrics = await (await gw.admin("/metrics")).text();
    assert.equal(
      sample(metrics, "switchyard_upstream_stale_connection_retries_total", { account: "a" }),
      1,
    );
    assert.equal(sample(metrics, "switchyard_failovers_total"), undefined);
    assert.deepEqual(
      gw.log[1].attempts.map((attempt) => [attempt.account, attempt.outcome, attempt.effect]),
      [["a", "stale-connection", undefined], ["a", "success", undefined]],
    );
  });
}

Deno.test("a fresh connection that fails too cools the account, and the request moves on", async () => {
  await using a = keepAliveUpstream((_request, index) =>
    index >= 1 ? "close" : { status: 200, json: chatCompletion("from a") }
  );
  await using b = keepAliveUpstream(() => ({ status: 200, json: chatCompletion("from b") }));
  await using gw = await startGateway({
    accounts: [
      { id: "a", upstream: `${a.url}/v1`, priority: 1 },
      { id: "b", upstream: `${b.url}/v1`, priority: 2 },
    ],
  });
  await (await gw.api("/v1/chat/completions", { json: chatRequest("warm") })).text();

  const response = await gw.api("/v1/chat/completions", { json: chatRequest("again?") });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.equal(response.headers.get("x-switchyard-account"), "b");
  // Reused, then fresh: never more.
  assert.deepEqual(a.requests.map((request) => request.onConnection), [0, 1, 0]);
  const view = await gw.account("a");
  assert.equal(view.state, "cooldown");
  assert.equal(view.reason, "unreachable");
  assert.deepEqual(
    gw.log[1].attempts.map((attempt) => [attempt.account, attempt.outcome, attempt.effect]),
    [["a", "stale-connection", undefined], ["a", "unreachable", "cooldown:unreachable"], [
      "b",
      "success",
      undefined,
    ]],
  );
});

Deno.test("a refused connection is not tried again: it was a fresh one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await using b = keepAliveUpstream(() => ({ status: 200, json: chatCompletion("from b") }));
  await using gw = await startGateway({
    accounts: [
      { id: "a", upstream: `http://127.0.0.1:${port}/v1`, priority: 1 },
      { id: "b", upstream: `${b.url}/v1`, priority: 2 },
    ],
  });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest("hi") });
  await response.text();
  assert.equal(response.headers.get("x-switchyard-account"), "b");
  assert.deepEqual(gw.log[0].attempts.map((attempt) => attempt.outcome), [
    "unreachable",
    "success",
  ]);
  const metrics = await (await gw.admin("/metrics")).text();
  assert.equal(sample(metrics, "switchyard_upstream_stale_connection_retries_total"), undefined);
});
