import assert from "node:assert/strict";
import { BodyTooLargeError, readRequestBody } from "./body.ts";

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
