import assert from "node:assert/strict";
import { batchedSink } from "./log_sink.ts";

function recorder(chunk = Infinity) {
  const writes: string[] = [];
  const decoder = new TextDecoder();
  return {
    writes,
    // Writes at most `chunk` bytes per call, as a pipe may.
    write(bytes: Uint8Array): Promise<number> {
      const n = Math.min(chunk, bytes.byteLength);
      writes.push(decoder.decode(bytes.subarray(0, n)));
      return Promise.resolve(n);
    },
  };
}

Deno.test("lines taken in one tick go out in one write", async () => {
  const out = recorder();
  await using sink = batchedSink(out.write, (n: number) => `line ${n}\n`, { flushMs: 5 });
  sink(1);
  sink(2);
  sink(3);
  assert.deepEqual(out.writes, []);
  await sink.drain();
  assert.deepEqual(out.writes, ["line 1\nline 2\nline 3\n"]);
});

Deno.test("a full batch is written at once, the rest after the interval, in order", async () => {
  const out = recorder();
  const sink = batchedSink(out.write, (n: number) => `${n}\n`, { maxLines: 2, flushMs: 1 });
  for (let n = 1; n <= 5; n++) sink(n);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(out.writes.join(""), "1\n2\n3\n4\n5\n");
  assert.deepEqual(out.writes.slice(0, 2), ["1\n2\n", "3\n4\n"]);
  await sink[Symbol.asyncDispose]();
});

Deno.test("partial writes are completed; disposing writes what is left", async () => {
  const out = recorder(3);
  const sink = batchedSink(out.write, (text: string) => `${text}\n`, { flushMs: 60_000 });
  sink("abcdefgh");
  await sink[Symbol.asyncDispose]();
  assert.equal(out.writes.join(""), "abcdefgh\n");
  assert.ok(out.writes.length > 1);
});
