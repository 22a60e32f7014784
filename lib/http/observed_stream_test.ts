/**
 * The pass-through body: observers see every chunk once, in order; a stream
 * observed twice before anyone read it is fused into one (the first stream is
 * never read), and behaves exactly like two streams would.
 *
 * @module
 */

import assert from "node:assert/strict";
import { observeStream, type StreamEnd, type StreamObserver } from "./observed_stream.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function source(parts: string[], fail?: Error): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const next = parts.shift();
      if (next !== undefined) controller.enqueue(encoder.encode(next));
      else if (fail) controller.error(fail);
      else controller.close();
    },
  });
}

/** An observer that records what it saw and rewrites with `map`; its tail is `tail`. */
function recorder(map: (text: string) => string | null = (text) => text, tail = "") {
  const seen: string[] = [];
  const ends: StreamEnd[] = [];
  const observer: StreamObserver = {
    chunk(chunk) {
      const text = decoder.decode(chunk);
      seen.push(text);
      const out = map(text);
      return out === null ? null : encoder.encode(out);
    },
    flush: () => (tail ? encoder.encode(tail) : null),
    end: (how) => ends.push(how),
  };
  return { observer, seen, ends };
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

Deno.test("observing an unread observed stream fuses the two: same bytes, both observers, in order", async () => {
  const first = recorder((text) => text.toUpperCase(), "!");
  const second = recorder((text) => (text === "B" ? null : `<${text}>`), "?");
  const inner = observeStream(source(["a", "b", "c"]), first.observer);
  const outer = observeStream(inner, second.observer);
  assert.equal(await text(outer), "<A><C><!>?");
  assert.deepEqual(first.seen, ["a", "b", "c"]);
  assert.deepEqual(second.seen, ["A", "B", "C", "!"]);
  assert.deepEqual(first.ends, ["done"]);
  assert.deepEqual(second.ends, ["done"]);
  assert.equal(inner.locked, false, "the first stream itself was never read");
});

Deno.test("a fused stream gives the same result as two streams one after the other", async () => {
  const results: string[][] = [];
  for (const fuse of [true, false]) {
    const first = recorder((text) => `${text}1`, "t1");
    const second = recorder((text) => (text === "y1" ? null : `${text}2`), "t2");
    const inner = observeStream(source(["x", "y", "z"]), first.observer);
    // A stream that is not the observed one itself (it reads it) cannot be fused.
    const outer = observeStream(fuse ? inner : ReadableStream.from(inner), second.observer);
    results.push([await text(outer), ...second.seen, ...first.ends, ...second.ends]);
  }
  assert.deepEqual(results[0], results[1]);
  assert.equal(results[0][0], "x12z12t12t2");
});

Deno.test("a stream already read from is observed by a stream of its own", async () => {
  const first = recorder((text) => `${text}1`);
  const second = recorder((text) => `${text}2`);
  const inner = observeStream(source(["x", "y"]), first.observer);
  const reader = inner.getReader();
  const head = await reader.read();
  reader.releaseLock();
  const rest = observeStream(inner, second.observer);
  assert.equal(decoder.decode(head.value) + (await text(rest)), "x1y12");
  assert.deepEqual(second.seen, ["y1"]);
});

Deno.test("cancelling a fused stream cancels the source and ends both observers once", async () => {
  let cancelled: unknown;
  const upstream = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(encoder.encode("data")),
    cancel: (reason) => void (cancelled = reason),
  });
  const first = recorder();
  const second = recorder();
  const outer = observeStream(observeStream(upstream, first.observer), second.observer);
  const reader = outer.getReader();
  await reader.read();
  await reader.cancel("client gone");
  assert.equal(cancelled, "client gone");
  assert.deepEqual(first.ends, ["cancel"]);
  assert.deepEqual(second.ends, ["cancel"]);
});

Deno.test("an error in a fused stream's source reaches the reader and both observers", async () => {
  const first = recorder();
  const second = recorder();
  const outer = observeStream(
    observeStream(source(["a"], new Error("cut")), first.observer),
    second.observer,
  );
  await assert.rejects(text(outer), /cut/);
  assert.deepEqual(first.ends, ["error"]);
  assert.deepEqual(second.ends, ["error"]);
});

Deno.test("a stream's prefix and pending read come first, fused or not", async () => {
  const upstream = source(["b", "c"]);
  const reader = upstream.getReader();
  const pending = reader.read();
  const ends: StreamEnd[] = [];
  const inner = observeStream(reader, (how) => ends.push(how), [encoder.encode("a")], pending);
  const outer = observeStream(inner, recorder().observer);
  assert.equal(await text(outer), "abc");
  assert.deepEqual(ends, ["done"]);
});

Deno.test("a stream closes only once the work before its close is done, fused or not", async () => {
  for (const fused of [false, true]) {
    const order: string[] = [];
    const work = Promise.withResolvers<void>();
    const waiting: StreamObserver = {
      beforeClose: () => (order.push("before close"), work.promise),
      end: (how) => order.push(`end ${how}`),
    };
    const plain = recorder();
    const stream = fused
      ? observeStream(observeStream(source(["a", "b"]), plain.observer), waiting)
      : observeStream(source(["a", "b"]), waiting);
    const reader = stream.getReader();
    assert.equal(decoder.decode((await reader.read()).value), "a");
    assert.equal(decoder.decode((await reader.read()).value), "b");
    const closed = reader.read();
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(order, ["before close"], "every byte relayed, the close still held");
    work.resolve();
    assert.equal((await closed).done, true);
    assert.deepEqual(order, ["before close", "end done"]);
  }
});

Deno.test("a client that leaves while the close is held ends the stream as cancelled", async () => {
  const ends: StreamEnd[] = [];
  const work = Promise.withResolvers<void>();
  const stream = observeStream(source(["a"]), {
    beforeClose: () => work.promise,
    end: (how) => ends.push(how),
  });
  const reader = stream.getReader();
  await reader.read();
  const closing = reader.read();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await reader.cancel();
  assert.equal((await closing).done, true);
  work.resolve();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(ends, ["cancel"]);
});
