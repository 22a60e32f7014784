/**
 * Bounded reads: a request body within its limit, a body's head with its rest
 * kept readable, and a body read whole.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BodyTooLargeError, readHead, readRequestBody, readWhole } from "./body.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A stream of `parts`, then its end or an error. */
function stream(parts: string[], then: "close" | "error" = "close") {
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = parts.shift();
      if (next !== undefined) controller.enqueue(encoder.encode(next));
      else if (then === "close") controller.close();
      else controller.error(new Error("cut"));
    },
  });
  return { body };
}

async function rest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value);
  }
}

Deno.test("readHead: a body within the limit is complete", async () => {
  const head = await readHead(stream(["ab", "cd"]).body, 10);
  assert.equal(head.complete, true);
  assert.equal(decoder.decode(head.held[0]) + decoder.decode(head.held[1]), "abcd");
});

Deno.test("readHead: past the limit it stops, and the rest is still there to read", async () => {
  const head = await readHead(stream(["abc", "def", "ghi"]).body, 4);
  assert.equal(head.complete, false);
  assert.deepEqual(head.held.map((chunk) => decoder.decode(chunk)), ["abc", "def"]);
  assert.equal(await rest(head.reader), "ghi");
});

Deno.test("readHead: a stop hands the read under way to whoever reads on", async () => {
  const stop = new AbortController();
  let release = () => {};
  const late = new Promise<void>((resolve) => release = resolve);
  const parts = ["abc"];
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = parts.shift();
      if (next !== undefined) return controller.enqueue(encoder.encode(next));
      await late;
      controller.enqueue(encoder.encode("late"));
      controller.close();
    },
  });
  const reading = readHead(body, 100, stop.signal);
  await new Promise((resolve) => setTimeout(resolve, 10)); // let it read "abc" and wait on
  stop.abort();
  const head = await reading;
  assert.equal(head.complete, false);
  assert.ok(head.pending);
  release();
  const pending = await head.pending!;
  assert.equal(decoder.decode(pending.value), "late");
  assert.equal(await rest(head.reader), "");
});

Deno.test("readHead: a broken body keeps what arrived; reading on reports the break", async () => {
  const head = await readHead(stream(["ab"], "error").body, 100);
  assert.equal(head.complete, false);
  assert.equal(decoder.decode(head.held[0]), "ab");
  await assert.rejects(head.reader.read(), /cut/);
});

Deno.test("readWhole: whole within the limit, else the head and the reader", async () => {
  const whole = await readWhole(stream(["ab", "cd"]).body, 10);
  assert.equal(whole.kind, "whole");
  if (whole.kind === "whole") assert.equal(decoder.decode(whole.bytes), "abcd");
  const partial = await readWhole(stream(["abc", "def", "ghi"]).body, 4);
  assert.equal(partial.kind, "partial");
  if (partial.kind === "partial") assert.equal(await rest(partial.reader), "ghi");
  await assert.rejects(readWhole(stream(["ab"], "error").body, 10), /cut/);
});

const LIMIT = 16;

/** What readRequestBody made of each request a real server received. */
async function served(send: (url: string) => Promise<Response>): Promise<string> {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      try {
        const body = await readRequestBody(request, LIMIT);
        return new Response(body === null ? "null" : `bytes:${new TextDecoder().decode(body)}`);
      } catch (error) {
        return new Response(error instanceof BodyTooLargeError ? "too large" : `error:${error}`);
      }
    },
  );
  const response = await send(`http://127.0.0.1:${server.addr.port}/`);
  return await response.text();
}

function chunked(...parts: string[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(parts.map((part) => new TextEncoder().encode(part)));
}

Deno.test("a body is read whole, with or without a declared length, and bounded", async () => {
  const cases: [string, (url: string) => Promise<Response>, string][] = [
    ["declared", (url) => fetch(url, { method: "POST", body: '{"a":1}' }), 'bytes:{"a":1}'],
    [
      "declared at the limit",
      (url) => fetch(url, { method: "POST", body: "x".repeat(16) }),
      `bytes:${"x".repeat(16)}`,
    ],
    ["declared over", (url) => fetch(url, { method: "POST", body: "x".repeat(17) }), "too large"],
    ["empty", (url) => fetch(url, { method: "POST", body: "" }), "bytes:"],
    ["no body", (url) => fetch(url, { method: "POST" }), "bytes:"],
    ["GET", (url) => fetch(url), "null"],
    ["chunked", (url) => fetch(url, { method: "POST", body: chunked("ab", "cd") }), "bytes:abcd"],
    [
      "chunked over",
      (url) => fetch(url, { method: "POST", body: chunked("x".repeat(10), "y".repeat(10)) }),
      "too large",
    ],
  ];
  for (const [name, send, expected] of cases) assert.equal(await served(send), expected, name);
});

Deno.test("a Request built in process reads the same", async () => {
  const post = (body?: BodyInit, headers: HeadersInit = {}) =>
    new Request("http://127.0.0.1/", { method: "POST", body, headers });
  assert.equal(await readRequestBody(new Request("http://127.0.0.1/"), LIMIT), null);
  assert.equal(await readRequestBody(post(), LIMIT), null);
  assert.deepEqual(
    await readRequestBody(post("abc", { "content-length": "3" }), LIMIT),
    new TextEncoder().encode("abc"),
  );
  // A declared length that lies about a bigger body still cannot pass the limit.
  await assert.rejects(
    readRequestBody(post("x".repeat(40), { "content-length": "3" }), LIMIT),
    BodyTooLargeError,
  );
  await assert.rejects(readRequestBody(post("x".repeat(40)), LIMIT), BodyTooLargeError);
});
