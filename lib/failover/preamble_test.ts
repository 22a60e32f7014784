/** Preamble events, content and error events of each API; an error event as the answer it stands for. */

import assert from "node:assert/strict";
import { classifyEvent, errorEventAnswer } from "./preamble.ts";

Deno.test("preamble event classification (table)", () => {
  const table: [{ event?: string; data: string }, string][] = [
    [{ event: "response.created", data: '{"type":"response.created"}' }, "preamble"],
    [{ event: "message_start", data: "{}" }, "preamble"],
    [{ event: "ping", data: "{}" }, "preamble"],
    [{ data: "" }, "preamble"],
    [{ event: "response.output_text.delta", data: "{}" }, "content"],
    [{ event: "content_block_start", data: "{}" }, "content"],
    [{ data: '{"choices":[{"delta":{"content":"hi"}}]}' }, "content"],
    [{ event: "response.failed", data: "{}" }, "error"],
    [{ event: "error", data: "{}" }, "error"],
    [{ data: '{"type":"error","error":{"type":"overloaded_error"}}' }, "error"],
    [{ data: '{"error":{"message":"boom"}}' }, "error"],
  ];
  for (const [event, expected] of table) {
    assert.equal(classifyEvent(event), expected, JSON.stringify(event));
  }

  const status = (data: unknown) =>
    errorEventAnswer({ event: "error", data: JSON.stringify(data) }, new Headers()).status;
  assert.equal(
    status({
      type: "response.failed",
      response: { error: { code: "rate_limit_exceeded", message: "x" } },
    }),
    429,
  );
  assert.equal(
    status({ type: "error", error: { type: "usage_limit_reached", resets_in_seconds: 60 } }),
    429,
  );
  assert.equal(
    status({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
    529,
  );
  assert.equal(status({ type: "error", code: "server_error", message: "oops" }), 500);
  assert.equal(
    status({ type: "error", error: { type: "invalid_request_error", message: "bad" } }),
    400,
  );
});
