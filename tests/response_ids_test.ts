/**
 * Stored-response ids are read in the usage pass: from a JSON body (whole or
 * too large to keep), and from a stream's `response.created` event however
 * the stream is cut, reported once; never for `store: false`.
 */

import assert from "node:assert/strict";
import { SseUsageScanner, usageFromJsonEnds, usageFromJsonText } from "../lib/usage/extract.ts";
import { responsesStream, sseText } from "./support/streams.ts";

Deno.test("a JSON body's stored response id", () => {
  const body = (value: unknown) => JSON.stringify(value);
  const id = (text: string) => usageFromJsonText(text, "openai").responseId;
  assert.equal(id(body({ id: "resp_1", object: "response", store: true })), "resp_1");
  assert.equal(id(body({ id: "resp_2", object: "response" })), "resp_2");
  assert.equal(id(body({ id: "resp_3", object: "response.compaction" })), "resp_3");
  assert.equal(id(body({ id: "resp_4", object: "response", store: false })), undefined);
  assert.equal(id(body({ id: "chatcmpl-1", object: "chat.completion" })), undefined);
  assert.equal(id(body({ id: "resp_5" })), undefined);

  const head = '{"id": "resp_big", "object": "response", "created_at": 1, "output": [';
  assert.equal(usageFromJsonEnds(head, '"x"]}', "openai").responseId, "resp_big");
  assert.equal(
    usageFromJsonEnds('{"id":"chatcmpl-1","object":"chat.completion"', "}", "openai").responseId,
    undefined,
  );
});

Deno.test("a stream's response id is reported once, however the stream is cut", () => {
  const text = sseText(responsesStream(["a", "b"])).replaceAll("\n", "\r\n");
  for (let cut = 0; cut <= text.length; cut++) {
    const heard: string[] = [];
    const scanner = new SseUsageScanner("openai", (id) => heard.push(id));
    scanner.push(text.slice(0, cut));
    scanner.push(text.slice(cut));
    scanner.end();
    assert.deepEqual(heard, ["r1"], `cut at ${cut}`);
    assert.equal(scanner.report().responseId, "r1");
  }
});

Deno.test("a store: false stream reports no id", () => {
  const events = responsesStream(["a"]).map(([name, data]) => {
    const event = structuredClone(data) as { response?: Record<string, unknown> };
    if (event.response) event.response.store = false;
    return [name, event] as [string | null, unknown];
  });
  const heard: string[] = [];
  const scanner = new SseUsageScanner("openai", (id) => heard.push(id));
  scanner.push(sseText(events));
  scanner.end();
  assert.deepEqual(heard, []);
  assert.equal(scanner.report().responseId, undefined);
});
