/** The benchmark's answer checks, on the mock's own answers and broken ones. */

import assert from "node:assert/strict";
import {
  answerLooksRight,
  answerProblem,
  chatJsonProblem,
  chatStreamEnds,
  chatStreamProblem,
} from "./answer_check.ts";
import { chatChunks, chatCompletion, responsesEvents } from "./mock_upstream.ts";

const sseText = (events: [string | null, string][], eol = "\n") =>
  events.map(([name, data]) => `${name ? `event: ${name}${eol}` : ""}data: ${data}${eol}${eol}`)
    .join("");
const finish = JSON.stringify({
  id: "chatcmpl-mock",
  object: "chat.completion.chunk",
  choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
});
const words = chatChunks(["a ", "b "]);
/** A Chat stream as the gateway sends one: content chunks, a finishing chunk, `[DONE]`. */
const stream = sseText([...words.slice(0, -1), [null, finish], words.at(-1)!]);

Deno.test("a well-formed Chat stream passes, in LF and in CRLF", () => {
  assert.equal(chatStreamProblem(stream), undefined);
  assert.equal(chatStreamProblem(stream.replaceAll("\n", "\r\n")), undefined);
  assert.equal(answerProblem("chat-stream", stream), undefined);
  assert.ok(chatStreamEnds(stream));
  assert.ok(chatStreamEnds(stream.replaceAll("\n", "\r\n")));
  assert.ok(answerLooksRight("chat-stream", stream));
});

Deno.test("a Chat stream cut short, without [DONE], or without a finish is a problem", () => {
  const cut = stream.slice(0, stream.indexOf("data: [DONE]"));
  assert.match(chatStreamProblem(cut)!, /\[DONE\]/);
  assert.ok(!chatStreamEnds(cut));
  assert.match(chatStreamProblem(stream.slice(0, -1))!, /blank line/);
  assert.match(chatStreamProblem(sseText(words))!, /finish_reason/);
  assert.match(chatStreamProblem("data: [DONE]\n\n")!, /no chunk/);
  const broken = stream.replace('"object":"chat.completion.chunk"', '"object":"other"');
  assert.match(chatStreamProblem(broken)!, /event 0 is not a chat.completion.chunk/);
  assert.match(chatStreamProblem(`data: {oops\n\n${stream}`)!, /event 0 is not JSON/);
});

Deno.test("a Responses stream is not a Chat stream", () => {
  const responses = sseText(responsesEvents(["a ", "b "]));
  assert.match(chatStreamProblem(responses)!, /\[DONE\]/);
  assert.ok(!chatStreamEnds(responses));
  assert.ok(!answerLooksRight("chat-stream", responses));
});

Deno.test("a Chat completion passes; other JSON does not", () => {
  const completion = JSON.stringify(chatCompletion("pong"));
  assert.equal(chatJsonProblem(completion), undefined);
  assert.ok(answerLooksRight("chat-json", completion));
  assert.match(chatJsonProblem("nope")!, /not JSON/);
  assert.match(chatJsonProblem('{"object":"response"}')!, /not a chat.completion/);
  assert.match(chatJsonProblem('{"object":"chat.completion","choices":[]}')!, /no first choice/);
  assert.ok(!answerLooksRight("chat-json", '{"object":"response"}'));
});
