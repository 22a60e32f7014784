/**
 * Streams as real upstreams write them: one event per flush, or cut inside an
 * event, through a real gateway. The chat usage chunk the gateway asked for is
 * stripped, and the client still gets every other event and `[DONE]`.
 */
import assert from "node:assert/strict";
import { chatRequest, startGateway } from "./support/gateway.ts";
import { within } from "./support/async.ts";
import { chatStream, sseText, trickledResponse } from "./support/streams.ts";
import { upstream } from "./support/upstream.ts";

const WORDS = ["alpha", "beta", "gamma"];

for (
  const [name, cuts] of [
    ["one event per flush", "events"],
    ["the first event in two pieces", [7]],
    ["every piece cut mid-line", [5, 40, 41, 200, 333, 334, 500]],
  ] as const
) {
  Deno.test(`a chat stream without include_usage ends with [DONE]: ${name}`, async () => {
    await using mock = upstream((_request, hit) => {
      const asked = JSON.parse(hit.body).stream_options?.include_usage === true;
      return trickledResponse(sseText(chatStream(WORDS, asked)), cuts as number[] | "events");
    });
    await using gateway = await startGateway({ accounts: [{ id: "oa", upstream: mock }] });
    const response = await gateway.api("/v1/chat/completions", {
      json: chatRequest("hi", { stream: true }),
    });
    assert.equal(response.status, 200);
    const text = await within(response.text(), "the whole chat stream");
    // The upstream's own stream (it was asked for usage), less the usage event alone.
    const expected = chatStream(WORDS, true).filter(([, data]) =>
      !(typeof data === "object" && data !== null && "usage" in data && data.usage !== null)
    );
    assert.equal(text, sseText(expected));
  });
}
