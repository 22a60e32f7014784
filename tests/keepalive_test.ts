/**
 * Fetch never re-sends a request on its own. Deno's `fetch` re-sends a request
 * on a new connection when a pooled keep-alive connection closes after the
 * upstream read it; the account then gets the prompt twice and the gateway
 * never hears of the failure. Here a raw upstream answers its first request,
 * then reads every later one whole and closes the connection. The one re-send
 * is the gateway's own, counted and logged: a request with a body whose pooled
 * connection closed is tried once more on a fresh connection
 * (`stale_connection_test.ts`), and that one fails too.
 */

import assert from "node:assert/strict";
import { chatRequest, startGateway } from "./support/gateway.ts";
import { keepAliveUpstream } from "./support/raw_http.ts";
import { chatCompletion, json, upstream } from "./support/upstream.ts";
import { chatStream, sseResponse } from "./support/streams.ts";

interface Case {
  name: string;
  path: string;
  /** The client's request; `null` sends a GET. */
  body: unknown;
  /** What the second account answers. */
  answer: () => Response;
  /** What the client must receive from the second account. */
  expect: RegExp;
}

const CASES: Case[] = [
  {
    name: "a JSON request",
    path: "/v1/chat/completions",
    body: chatRequest("twice?"),
    answer: () => json(200, chatCompletion("from b")),
    expect: /"from b"/,
  },
  {
    name: "a streaming request",
    path: "/v1/chat/completions",
    body: chatRequest("twice?", { stream: true }),
    answer: () => sseResponse(chatStream(["from", " b"], false)),
    expect: /" b"[\s\S]*\[DONE\]/,
  },
  {
    name: "a GET",
    path: "/v1/models",
    body: null,
    answer: () => json(200, { object: "list", data: [{ id: "from-b" }] }),
    expect: /"from-b"/,
  },
];

for (const { name, path, body, answer, expect } of CASES) {
  Deno.test(`${name} cut after the upstream read it is not re-sent by fetch, then fails over`, async () => {
    // The first request is answered with keep-alive; every later one is read whole, then the
    // connection closes with no answer.
    await using a = keepAliveUpstream((_request, index) =>
      index >= 1 ? "close" : { status: 200, json: chatCompletion("from a") }
    );
    await using b = upstream(answer);
    await using gw = await startGateway({
      accounts: [
        { id: "a", upstream: `${a.url}/v1`, priority: 1 },
        { id: "b", upstream: b, priority: 2 },
      ],
    });
    const call = () => gw.api(path, body === null ? {} : { json: body });

    const warm = await call();
    assert.equal(warm.headers.get("x-switchyard-account"), "a");
    await warm.text();

    const response = await call();
    const text = await response.text();
    // A GET goes on a connection of its own, never a reused one: it is not tried again.
    // A body went on the reused connection, then once (the gateway's retry) on a fresh one.
    const sent = body === null ? 1 : 2;
    assert.equal(a.requests.length, 1 + sent, "account a received the cut request");
    if (body !== null) {
      assert.equal(a.requests[2].onConnection, 0, "the retry's connection is fresh");
    }
    assert.equal(response.status, 200, text);
    assert.equal(response.headers.get("x-switchyard-account"), "b");
    assert.match(text, expect);
    assert.equal(b.hits.length, 1);
    const view = await gw.account("a");
    assert.equal(view.state, "cooldown");
    assert.equal(view.reason, "unreachable");

    const cut = a.requests[1];
    if (body !== null) {
      // The cut fell on the reused connection (the case fetch re-sent), and the body still
      // went with its length, whole: the same bytes the next account got.
      assert.equal(cut.onConnection, 1);
      assert.match(cut.head, /^content-length: \d+$/im);
      assert.doesNotMatch(cut.head, /^transfer-encoding:/im);
      assert.equal(cut.body, b.hits[0].body);
    }
  });
}
