/** Thinking signers in KV: what one process records, another finds, in batches of a KV read. */

import assert from "node:assert/strict";
import { ThinkingSigners } from "./thinking_signers.ts";

Deno.test("thinking signers: recorded by one process, found by another in batches, unknown ones left out", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const writer = new ThinkingSigners(kv);
    const marks = Array.from({ length: 25 }, (_, i) => `sig-${i}`);
    await Promise.all(marks.map((mark, i) => writer.remember(mark, i % 2 ? "b" : "a")));
    assert.equal((await writer.signersOf(["sig-3"])).get("sig-3"), "b", "from memory");

    // Another process: nothing in memory, more marks than one KV read takes.
    const reader = new ThinkingSigners(kv);
    const found = await reader.signersOf([...marks, "never-seen", "sig-0"]);
    assert.equal(found.size, 25);
    for (const [i, mark] of marks.entries()) assert.equal(found.get(mark), i % 2 ? "b" : "a");
    assert.equal(found.has("never-seen"), false);

    // A mark recorded later wins over one looked up as unknown.
    await reader.remember("never-seen", "c");
    assert.equal((await reader.signersOf(["never-seen"])).get("never-seen"), "c");
  } finally {
    kv.close();
  }
});
