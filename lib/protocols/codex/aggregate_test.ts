import assert from "node:assert/strict";
import { jsonEvent } from "../sse.ts";
import { sseText } from "../testdata/streams.ts";
import { RESPONSES_STREAM } from "../testdata/responses_stream.ts";
import { aggregateResponsesStream, ResponsesAggregator } from "./aggregate.ts";
import { cutAt, oneByteChunks, streamOf } from "../../../tests/support/splits.ts";

Deno.test("codex aggregate: an empty completed output is rebuilt from the streamed items", async () => {
  const bytes = new TextEncoder().encode(sseText(RESPONSES_STREAM));
  const result = await aggregateResponsesStream(
    streamOf(cutAt(bytes, oneByteChunks(bytes.length).cuts)),
  );
  assert.ok(result.ok);
  const response = result.response as {
    status: string;
    output: { type: string; call_id?: string }[];
    usage: unknown;
  };
  assert.equal(response.status, "completed");
  assert.deepEqual(response.output.map((item) => item.type), [
    "reasoning",
    "message",
    "function_call",
    "function_call",
  ]);
  assert.deepEqual(response.output.slice(2).map((item) => item.call_id), ["call_A", "call_B"]);
  assert.deepEqual((response.usage as { output_tokens: number }).output_tokens, 20);
});

Deno.test("codex aggregate: a message whose item never came done is rebuilt from its deltas", () => {
  const aggregator = new ResponsesAggregator();
  const messageDone = RESPONSES_STREAM.find((event) =>
    event.event === "response.output_item.done" && event.data.includes('"msg_1"')
  );
  for (const event of RESPONSES_STREAM) if (event !== messageDone) aggregator.push(event);
  const result = aggregator.result();
  assert.ok(result.ok);
  assert.deepEqual((result.response.output as unknown[])[1], {
    type: "message",
    id: "msg_1",
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text: "Checking both cities.", annotations: [] }],
  });
});

Deno.test("codex aggregate: a populated output is kept as sent", () => {
  const aggregator = new ResponsesAggregator();
  const output = [{ type: "message", id: "m", role: "assistant", content: [] }];
  aggregator.push(
    jsonEvent({ type: "response.completed", response: { id: "r", status: "completed", output } }),
  );
  assert.deepEqual(aggregator.result(), {
    ok: true,
    response: { id: "r", status: "completed", output },
  });
});

Deno.test("codex aggregate: failures and cut streams are errors", () => {
  const failed = new ResponsesAggregator();
  failed.push(
    jsonEvent({
      type: "response.failed",
      response: { error: { code: "server_error", message: "boom" } },
    }),
  );
  assert.deepEqual(failed.result(), {
    ok: false,
    error: { kind: "api_error", message: "boom", code: "server_error" },
  });
  const limited = new ResponsesAggregator();
  limited.push(
    jsonEvent({ type: "error", code: "rate_limit_exceeded", message: "slow", param: null }),
  );
  const result = limited.result();
  assert.ok(!result.ok && result.error.kind === "rate_limit");
  const cut = new ResponsesAggregator();
  for (const event of RESPONSES_STREAM.slice(0, 5)) cut.push(event);
  assert.ok(!cut.result().ok);
});
