/**
 * A 200 whose body breaks off before the client saw a byte moves the request
 * on, and the request log still lists it: the broken attempt with its outcome
 * and status, then the account that served, last, as `success`. Upstream A is
 * raw TCP: it sends 200 headers and part of a JSON body, then drops.
 */

import assert from "node:assert/strict";
import { chatRequest, startGateway } from "./support/gateway.ts";
import { sample } from "./support/prometheus.ts";
import { rawUpstream } from "./support/raw_http.ts";
import { chatCompletion, json, upstream } from "./support/upstream.ts";
import { responsesStream, sseResponse, sseText } from "./support/streams.ts";

const PART = '{"id":"chatcmpl-a","object":"chat.completion","choices":[{"index":0,"mess';

const FRAMINGS = [
  {
    name: "with a content-length",
    head: `content-length: ${PART.length + 80}\r\n`,
    body: PART,
  },
  {
    name: "chunked",
    head: "transfer-encoding: chunked\r\n",
    body: `${PART.length.toString(16)}\r\n${PART}\r\n`,
  },
];

/** The log line's attempts, as `[account, outcome, status]`, checked for their times. */
function attemptsOf(
  gw: {
    log: {
      attempts: {
        account: string;
        outcome: string;
        status?: number;
        startedAt?: number;
        ms?: number;
      }[];
    }[];
  },
) {
  assert.equal(gw.log.length, 1);
  const { attempts } = gw.log[0];
  for (const attempt of attempts) {
    assert.equal(typeof attempt.startedAt, "number", JSON.stringify(attempt));
    assert.equal(typeof attempt.ms, "number", JSON.stringify(attempt));
  }
  return attempts.map((attempt) => [attempt.account, attempt.outcome, attempt.status]);
}

for (const framing of FRAMINGS) {
  Deno.test(`the log lists a JSON 200 that broke off (${framing.name}) before the account that served`, async () => {
    await using a = rawUpstream(async (exchange) => {
      await exchange.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${framing.head}\r\n`,
      );
      // At an odd byte, in two writes, then the connection drops.
      await exchange.write(framing.body.slice(0, 7));
      await exchange.write(framing.body.slice(7));
      exchange.close();
    });
    await using b = upstream(() => json(200, chatCompletion("from b")));
    await using gw = await startGateway({
      accounts: [
        { id: "a", upstream: `${a.url}/v1`, priority: 1 },
        { id: "b", upstream: b, priority: 2 },
      ],
    });

    const response = await gw.api("/v1/chat/completions", { json: chatRequest("hi") });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(response.headers.get("x-switchyard-account"), "b");
    assert.match(text, /"from b"/);

    assert.deepEqual(attemptsOf(gw), [["a", "dropped", 200], ["b", "success", 200]]);
    assert.equal(gw.log[0].outcome, "success");
    assert.equal(gw.log[0].attempts[0].effect, "cooldown:unreachable");
    // It moved the request on: a failover, in the metrics too.
    const metrics = await (await gw.admin("/metrics")).text();
    assert.equal(sample(metrics, "switchyard_failovers_total", { reason: "unreachable" }), 1);
  });
}

Deno.test("the log lists a 200 stream that broke off in its held preamble before the account that served", async () => {
  const created = sseText(responsesStream(["x"]).slice(0, 1));
  await using a = rawUpstream(async (exchange) => {
    await exchange.write(
      "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    await exchange.chunk(created.slice(0, 5));
    await exchange.chunk(created.slice(5));
    exchange.close();
  });
  await using b = upstream(() => sseResponse(responsesStream(["from", " b"])));
  await using gw = await startGateway({
    accounts: [
      { id: "a", upstream: `${a.url}/v1`, priority: 1 },
      { id: "b", upstream: b, priority: 2 },
    ],
  });

  const response = await gw.api("/v1/responses", {
    json: { model: "gpt-resp", input: "hi", stream: true },
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.equal(response.headers.get("x-switchyard-account"), "b");
  assert.match(text, /" b"/);
  assert.deepEqual(attemptsOf(gw), [["a", "dropped", 200], ["b", "success", 200]]);
});
