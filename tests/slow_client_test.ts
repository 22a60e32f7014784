/**
 * Slow clients (issue 15, item 11), over raw TCP: a request whose body never
 * arrives gets 408 in its API's error shape once the body has stalled for
 * `bodyTimeoutSeconds` (`Deno.serve` keeps the socket itself open for the rest
 * of the announced body; the request is over); a large body of a key
 * at its concurrency limit is not read at all (429 while the body is still
 * unsent). Half-sent headers are Deno.serve's to time out, which it does not
 * do (see the README's security section); that is measured, not tested here.
 */

import assert from "node:assert/strict";
import { configDoc, startGateway } from "./support/gateway.ts";
import { eventually, within } from "./support/async.ts";
import { stalledClient } from "./support/raw_http.ts";
import { upstream } from "./support/upstream.ts";

const KEY = "sk-client-alice-0123456789";

function head(path: string, lines: string[]): string {
  return [`POST ${path} HTTP/1.1`, "Host: gateway", `Authorization: Bearer ${KEY}`, ...lines]
    .join("\r\n") + "\r\n\r\n";
}

function bodyOf(answer: string): Record<string, unknown> {
  return JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
}

async function gatewayWith(root: Record<string, unknown>, key: Record<string, unknown> = {}) {
  const mock = upstream(() => Response.json({ id: "x", choices: [] }));
  const gateway = await startGateway({
    config: configDoc([
      { id: "a", platform: "openai", baseUrl: `${mock.url}/v1`, apiKey: "sk-up" },
      { id: "c", platform: "anthropic", baseUrl: `${mock.url}/v1`, apiKey: "sk-up-c" },
    ], { root, key: { key: KEY, ...key } }),
  });
  return {
    gateway,
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await mock[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a body that stalls gets 408 in the API's shape", async () => {
  await using setup = await gatewayWith({ bodyTimeoutSeconds: 0.5 });
  const { url } = setup.gateway;
  const cases = [
    // A small body read whole, a large one read in chunks: both time out.
    { path: "/v1/chat/completions", length: 200, sent: '{"model":"gpt' },
    { path: "/v1/chat/completions", length: 4 * 1024 * 1024, sent: '{"model":"gpt' },
    { path: "/v1/messages", length: 200, sent: '{"model":"claude' },
  ];
  for (const { path, length, sent } of cases) {
    using client = await stalledClient(
      url,
      head(path, ["Content-Type: application/json", `Content-Length: ${length}`]) + sent,
    );
    const answer = await eventually(
      () => /\r\n\r\n[\s\S]*\}\s*$/.test(client.received()) && client.received(),
      `408 for ${path} (${length} bytes)`,
      8_000,
    );
    assert.match(answer, /^HTTP\/1\.1 408 /, answer);
    const body = bodyOf(answer);
    if (path === "/v1/messages") {
      assert.equal(body.type, "error");
      assert.equal((body.error as Record<string, unknown>).type, "invalid_request_error");
    } else {
      assert.equal((body.error as Record<string, unknown>).code, "request_timeout");
    }
    assert.match(JSON.stringify(body), /stalled/);
  }
});

Deno.test("a body that keeps arriving slowly is read whole: the timeout is per stall", async () => {
  await using setup = await gatewayWith({ bodyTimeoutSeconds: 0.6 });
  const body = JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] });
  using client = await stalledClient(
    setup.gateway.url,
    head("/v1/chat/completions", [
      "Content-Type: application/json",
      "Transfer-Encoding: chunked",
      "Connection: close",
    ]),
  );
  // Four pieces 0.3 s apart: 1.2 s in all, never 0.6 s without a byte.
  const pieces = [body.slice(0, 10), body.slice(10, 20), body.slice(20, 30), body.slice(30)];
  for (const piece of pieces) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
  }
  await client.write("0\r\n\r\n");
  const answer = await within(client.answer, "the answer", 8_000);
  assert.match(answer, /^HTTP\/1\.1 200 /, answer);
});

Deno.test("a large body of a key at its concurrency limit is not read: 429 before it is sent", async () => {
  await using setup = await gatewayWith(
    { queueTimeoutSeconds: 0.3, bodyTimeoutSeconds: 20 },
    { concurrency: 1 },
  );
  // Another request of the key holds its only slot.
  const holder = await setup.gateway.gateway.slots.tryAcquire("key", "tester", 1);
  assert.ok(holder);
  try {
    using client = await stalledClient(
      setup.gateway.url,
      head("/v1/chat/completions", [
        "Content-Type: application/json",
        `Content-Length: ${8 * 1024 * 1024}`,
      ]),
    );
    // Not a byte of the body was sent: the answer comes from the slot check, not a body read.
    // (The connection stays open for the body the client announced, as HTTP has it.)
    const answer = await eventually(
      () => /\r\n\r\n[\s\S]*\}\s*$/.test(client.received()) && client.received(),
      "the key's 429",
      8_000,
    );
    assert.match(answer, /^HTTP\/1\.1 429 /, answer);
    assert.match(JSON.stringify(bodyOf(answer)), /concurrency limit/);
  } finally {
    await holder.release();
  }
  assert.equal(await setup.gateway.gateway.slots.inUse("key", "tester"), 0, "no slot kept");
});

Deno.test("a large body waits for its key's slot, then is read and served; the slot is given back", async () => {
  await using setup = await gatewayWith({ queueTimeoutSeconds: 5 }, { concurrency: 1 });
  const holder = await setup.gateway.gateway.slots.tryAcquire("key", "tester", 1);
  assert.ok(holder);
  const padding = "x".repeat(2 * 1024 * 1024);
  const body = JSON.stringify({
    model: "gpt-test",
    messages: [{ role: "user", content: padding }],
  });
  using client = await stalledClient(
    setup.gateway.url,
    head("/v1/chat/completions", [
      "Content-Type: application/json",
      `Content-Length: ${body.length}`,
      "Connection: close",
    ]),
  );
  const writing = client.write(body);
  setTimeout(() => holder.release(), 300);
  const answer = await within(client.answer, "the answer once the slot frees", 8_000);
  await writing;
  assert.match(answer, /^HTTP\/1\.1 200 /, answer.slice(0, 300));
  await setup.gateway.gateway.settled();
  assert.equal(await setup.gateway.gateway.slots.inUse("key", "tester"), 0, "slot given back");
});
