/**
 * The usage-chunk stripper: only the usage event goes, at any chunk boundary. The tap's charge
 * for a cut stream: a delta whose data line was cut short is not counted.
 */

import assert from "node:assert/strict";
import { tapBody, type TapResult, UsageChunkStripper } from "./tap.ts";
import { chatStream, responsesStream, sseText } from "../../tests/support/streams.ts";

Deno.test("the usage chunk stripper drops only the usage event, at any chunk boundary", () => {
  const text = sseText(chatStream(["a", "b"], true));
  const expected = sseText(
    chatStream(["a", "b"], true).filter(([, data]) =>
      !(typeof data === "object" && (data as { choices: unknown[] }).choices.length === 0)
    ),
  );
  for (const size of [1, 5, 33, text.length]) {
    const stripper = new UsageChunkStripper();
    let out = "";
    for (let i = 0; i < text.length; i += size) out += stripper.push(text.slice(i, i + size));
    out += stripper.end();
    assert.equal(out, expected, `split by ${size}`);
  }
  // Whole events without usage pass through as the very same string (no copy, no delay).
  const plain = 'data: {"choices":[{"delta":{"content":"x"}}]}\n\n';
  assert.equal(new UsageChunkStripper().push(plain), plain);
  // A queued stream learns its account only once served: it is asked then, and may keep the event.
  let asked = 0;
  const keeping = new UsageChunkStripper(() => (asked++, false));
  assert.equal(keeping.push(text) + keeping.end(), text);
  assert.equal(asked, 1);
});

/** Taps `pieces` as a Responses stream that ends as `how`; the deltas it would charge. */
async function deltasCharged(pieces: string[], how: "close" | "error" | "client"): Promise<number> {
  const encoder = new TextEncoder();
  let ended: TapResult | undefined;
  const client = new AbortController();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent < pieces.length) return controller.enqueue(encoder.encode(pieces[sent++]));
      if (how === "close") controller.close();
      else if (how === "error") controller.error(new Error("upstream went"));
    },
  });
  const tapped = tapBody(body, {
    surface: "openai",
    contentType: "text/event-stream",
    scanUsage: true,
    stripUsageChunk: false,
    clientSignal: client.signal,
    onFirstByte() {},
    onEnd(result) {
      ended = result;
    },
  });
  const reader = tapped.getReader();
  try {
    for (let read = 0; read < pieces.length; read++) await reader.read();
    if (how === "client") {
      client.abort();
      await reader.cancel();
    } else while (!(await reader.read()).done);
  } catch {
    // The upstream's error reaches the reader too.
  }
  assert.ok(ended, "onEnd ran");
  return ended.deltas;
}

Deno.test("a stream cut inside a delta's data line is not charged for that delta", async () => {
  const events = sseText(responsesStream(["a", "b", "c"])).split("\n\n").slice(0, 4)
    .map((event) => `${event}\n\n`);
  const [created, a, b, c] = events;
  const head = created + a + b;
  const line = c.indexOf("\n", c.indexOf("data:"));
  const cases: [string[], "close" | "error" | "client", number, string][] = [
    [[head, c.slice(0, line - 3)], "error", 2, "upstream cut mid data line"],
    [[head, c.slice(0, line - 3)], "client", 2, "client left mid data line"],
    [[head, c.slice(0, line)], "client", 2, "client left before the line ending"],
    [[head, c.slice(0, line + 1)], "client", 3, "client left after the line ending"],
    [[head, c.slice(0, line + 1)], "error", 3, "upstream cut after the line ending"],
    [[head, `${c.slice(0, line)}\r`], "error", 3, "cut after a CR line ending began"],
    [[head, c.slice(0, line)], "close", 3, "a whole stream's last line without its newline"],
  ];
  for (const [pieces, how, want, what] of cases) {
    assert.equal(await deltasCharged(pieces, how), want, what);
  }
});
