/**
 * An upstream error body that says how long it is (`Content-Length`) is read
 * in one go for classification: what that must keep from the chunk-by-chunk
 * read, over real sockets. A body that stalls is classified within the
 * headers timeout and its connection closed when the request moves on; one
 * passed back reaches the client whole when its rest arrives.
 */

import assert from "node:assert/strict";
import { within } from "./support/async.ts";
import { chatRequest, startGateway } from "./support/gateway.ts";
import { rawUpstream } from "./support/raw_http.ts";
import { chatCompletion, json, upstream } from "./support/upstream.ts";

const HEAD_429 = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n";

Deno.test("a 429 whose declared body stalls: the next account serves, the stalled connection is closed", async () => {
  let closed: Promise<void> | undefined;
  await using stalled = rawUpstream(async (exchange) => {
    await exchange.write(`${HEAD_429}Content-Length: 200\r\n\r\n{"error":{"message":"rate`);
    closed = exchange.closedByPeer();
    await closed;
  });
  await using good = upstream(() => json(200, chatCompletion("from good")));
  await using gw = await startGateway({
    accounts: [
      { id: "stalled", upstream: stalled, priority: 0 },
      { id: "good", upstream: good, priority: 1 },
    ],
    failover: { headersTimeoutSeconds: 0.2 },
  });
  const response = await within(
    gw.api("/v1/chat/completions", { json: chatRequest() }),
    "the answer after the error body's deadline",
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "good");
  assert.equal((await response.json()).choices[0].message.content, "from good");
  assert.ok(closed, "the stalled upstream was reached");
  await within(closed, "the gateway to close the stalled connection");
  const attempt = gw.log.at(-1)?.attempts[0];
  assert.deepEqual([attempt?.account, attempt?.status, attempt?.outcome], [
    "stalled",
    429,
    "failover",
  ]);
});

Deno.test("a 400 passed back whose declared body stalls reaches the client whole when the rest comes", async () => {
  const body = JSON.stringify({
    error: { message: "context too long", type: "invalid_request_error" },
  });
  const restSent = Promise.withResolvers<void>();
  await using slow = rawUpstream(async (exchange) => {
    await exchange.write(
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    // Past the 100 ms headers timeout (a wait, not a measurement).
    await new Promise((resolve) => setTimeout(resolve, 300));
    await exchange.write(body.slice(10));
    restSent.resolve();
    await exchange.closedByPeer();
  });
  await using gw = await startGateway({
    accounts: [{ id: "slow", upstream: slow }],
    failover: { headersTimeoutSeconds: 0.1 },
  });
  const response = await within(
    gw.api("/v1/chat/completions", { json: chatRequest() }),
    "the passed-back error",
  );
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("x-switchyard-account"), "slow");
  assert.equal(await within(response.text(), "the rest of the error"), body);
  await restSent.promise;
});

Deno.test("a declared error body read in one go is passed back byte for byte", async () => {
  const body = JSON.stringify({ error: { message: "bad things", type: "invalid_request_error" } });
  await using bad = rawUpstream(async (exchange) => {
    await exchange.write(
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Request-Id: req-1\r\n" +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    await exchange.closedByPeer();
  });
  await using gw = await startGateway({ accounts: [{ id: "bad", upstream: bad }] });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("x-request-id"), "req-1");
  assert.equal(await response.text(), body);
});
