import assert from "node:assert/strict";
import { sseText } from "../testdata/streams.ts";
import { RESPONSES_STREAM } from "../testdata/responses_stream.ts";
import { StreamTranslator, translateRequest, translateResponse } from "../translate/translate.ts";
import { aggregateResponsesStream } from "./aggregate.ts";
import { codexRequest } from "./request.ts";
import { streamOf } from "../../../tests/support/splits.ts";

Deno.test("codex pipeline: a non-streaming Chat client served by a Codex account", async () => {
  const client = {
    model: "gpt-5.4",
    messages: [{ role: "system", content: "Be brief." }, {
      role: "user",
      content: "Weather in Paris and Oslo?",
    }],
    max_completion_tokens: 300,
    temperature: 0.1,
  };
  const translated = translateRequest("chat", "responses", client);
  assert.ok(translated.ok && !translated.stream);
  const codex = codexRequest(translated.body);
  assert.ok(codex.ok);
  assert.deepEqual(
    [codex.body.stream, codex.body.store, codex.body.instructions, codex.stream],
    [true, false, "Be brief.", false],
  );
  assert.deepEqual(codex.dropped.map((entry) => entry.field), ["max_output_tokens", "temperature"]);
  // The account streams; the client wanted one JSON body.
  const aggregate = await aggregateResponsesStream(
    streamOf([new TextEncoder().encode(sseText(RESPONSES_STREAM))]),
  );
  assert.ok(aggregate.ok);
  const answer = translateResponse("responses", "chat", aggregate.response, 1) as {
    choices: {
      message: { content: string; tool_calls: { id: string }[] };
      finish_reason: string;
    }[];
    usage: { prompt_tokens: number };
  };
  assert.equal(answer.choices[0].message.content, "Checking both cities.");
  assert.deepEqual(answer.choices[0].message.tool_calls.map((call) => call.id), [
    "call_A",
    "call_B",
  ]);
  assert.equal(answer.choices[0].finish_reason, "tool_calls");
  assert.equal(answer.usage.prompt_tokens, 100);
});

Deno.test("stream translator: the same API on both sides passes the bytes through", () => {
  const text = sseText(RESPONSES_STREAM, true);
  const translator = new StreamTranslator("responses", "responses");
  const bytes = new TextEncoder().encode(text);
  assert.equal(
    translator.push(bytes.slice(0, 7)) + translator.push(bytes.slice(7)) + translator.finish(),
    text,
  );
});
