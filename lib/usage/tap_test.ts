/** The usage-chunk stripper: only the usage event goes, at any chunk boundary. */

import assert from "node:assert/strict";
import { UsageChunkStripper } from "./tap.ts";
import { chatStream, sseText } from "../../tests/support/streams.ts";

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
