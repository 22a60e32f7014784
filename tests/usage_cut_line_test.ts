/**
 * A stream cut inside a content delta's data line is charged only for the deltas whose data
 * lines arrived whole: the client that left and the upstream that went away alike. (The soak on
 * a remote KV once found a WebSocket turn closed mid-turn charged one output token more than its
 * upstream served: the half line was counted as a delta when the stream ended.)
 */

import assert from "node:assert/strict";
import { startMockUpstream } from "../scripts/support/mock_upstream.ts";
import { utcDay } from "../lib/usage/recorder.ts";
import { responsesStream, sseText } from "./support/streams.ts";
import { eventually } from "./support/async.ts";
import { callApi, readJson, SECRET, startGateway } from "./support/gateway.ts";

/** The Responses stream up to halfway through its third delta's data line. */
function cutText(): string {
  const events = sseText(responsesStream(["a", "b", "c"])).split("\n\n");
  const third = events[3];
  return `${events.slice(0, 3).join("\n\n")}\n\n${third.slice(0, third.lastIndexOf('"'))}`;
}

Deno.test("a stream cut mid data line is charged for its whole deltas only", async (t) => {
  const upstream = startMockUpstream((request) => {
    const scenario = request.headers.get("idempotency-key") ?? "";
    const bytes = new TextEncoder().encode(cutText());
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytes);
        if (scenario === "upstream-cut") {
          await new Promise((resolve) => setTimeout(resolve, 50));
          controller.error(new Error("the upstream went"));
        }
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const keys = ["client-left", "upstream-cut"];
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      accounts: [{ id: "oa-1", platform: "openai", baseUrl: upstream.url, apiKey: "sk-1" }],
      groups: [{ id: "g", accounts: ["oa-1"] }],
      keys: keys.map((id) => ({ id, key: `key-${id}-0123456789`, group: "g" })),
    },
  });
  try {
    for (const id of keys) {
      await t.step(id, async () => {
        const response = await callApi(h.url, "/v1/responses", {
          key: `key-${id}-0123456789`,
          json: { model: "gpt-resp", stream: true },
          headers: { "idempotency-key": id },
        });
        assert.equal(response.status, 200);
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let seen = "";
        try {
          while (seen.length < cutText().length) {
            const { value, done } = await reader.read();
            if (done) break;
            seen += value;
          }
          // The half line reached the client: the charge was decided with it in hand.
          assert.equal(seen, cutText());
          if (id === "client-left") await reader.cancel();
          else while (!(await reader.read()).done);
        } catch {
          // The upstream's cut reaches the client as a broken body.
        }
        await eventually(() => h.log.find((log) => log.key === id));
      });
    }
    await t.step("each was charged two output tokens", async () => {
      const day = utcDay(Date.now());
      const body = await readJson<{ rows: { key: string; output: number }[] }>(
        await h.admin(`/admin/usage?from=${day}&to=${day}&by=key`),
      );
      const output = Object.fromEntries(body.rows.map((row) => [row.key, row.output]));
      assert.deepEqual(output, { "client-left": 2, "upstream-cut": 2 });
    });
  } finally {
    await h.close();
    await upstream.close();
  }
});
