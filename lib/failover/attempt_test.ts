import assert from "node:assert/strict";
import { describeProxied, mayBeStale, sendAttempt } from "./attempt.ts";

function request(url: string) {
  return { url, method: "POST", headers: [], body: new TextEncoder().encode("{}") };
}

Deno.test("a refused connection is described as such, without the URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${listener.addr.port}/v1/secret-path?token=abc`;
  listener.close();
  const result = await sendAttempt(request(url), 5_000, new AbortController().signal);
  assert.deepEqual(result, { kind: "unreachable", timedOut: false, detail: "connection refused" });
});

Deno.test("a connection closed before any answer is described as closed, after one retry on a fresh one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    // The first try and the retry each get a connection, read, then closed unanswered.
    for (let n = 0; n < 2; n++) {
      const connection = await listener.accept();
      await connection.read(new Uint8Array(4096));
      connection.close();
    }
  })();
  const result = await sendAttempt(
    request(`http://127.0.0.1:${listener.addr.port}/x`),
    5_000,
    new AbortController().signal,
  );
  await served;
  listener.close();
  assert.equal(result.kind, "unreachable");
  const { detail, stale } = result as { detail: string; stale?: { detail: string } };
  assert.match(detail, /^connection (closed|reset)$/);
  assert.match(stale?.detail ?? "", /^connection (closed|reset)$/);
});

/** An error as Deno's fetch (2.9.6) raises it: the reason is in the cause. */
function fetchError(reason: string): Error {
  return new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (http://127.0.0.1:9/x): ${reason}`),
  });
}

Deno.test("only a closed or reset connection, once connected, may have been a stale pooled one", () => {
  // The reasons as measured over loopback (see the README's failover section).
  const table: [string, boolean][] = [
    ["client error (SendRequest): connection closed before message completed", true],
    ["client error (SendRequest): connection reset by peer (os error 104)", true],
    ["client error (Connect): tcp connect error: Connection refused (os error 111)", false],
    ["client error (Connect): tcp connect error: Connection reset by peer (os error 104)", false],
    ["client error (Connect): dns error: failed to lookup address information", false],
    ["client error (Connect): invalid peer certificate: UnknownIssuer", false],
  ];
  for (const [reason, stale] of table) assert.equal(mayBeStale(fetchError(reason)), stale, reason);
  assert.equal(mayBeStale(new DOMException("no response headers in time", "TimeoutError")), false);
});

/** A server that reads requests and never answers; closes when disposed. */
function silentServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.Conn[] = [];
  const { promise: accepted, resolve } = Promise.withResolvers<void>();
  void (async () => {
    for await (const connection of listener) {
      connections.push(connection);
      resolve();
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}/x`,
    accepted,
    [Symbol.dispose]() {
      listener.close();
      for (const connection of connections) connection.close();
    },
  };
}

Deno.test("no headers before the deadline: unreachable, timed out", async () => {
  using server = silentServer();
  const result = await sendAttempt(request(server.url), 50, new AbortController().signal);
  assert.deepEqual(result, { kind: "unreachable", timedOut: true, detail: "headers timeout" });
});

Deno.test("the client leaving while the headers are awaited: client-gone", async () => {
  using server = silentServer();
  const client = new AbortController();
  const pending = sendAttempt(request(server.url), 60_000, client.signal);
  await server.accepted;
  client.abort();
  assert.deepEqual(await pending, { kind: "client-gone" });
});

Deno.test("a proxied account's failure to connect names the proxy", () => {
  // The reasons as Deno (2.9.6) gives them through tinyproxy and microsocks on loopback.
  const table: [string, string][] = [
    [
      "client error (Connect): tcp connect error: Connection refused (os error 111)",
      "proxy unreachable (connection refused)",
    ],
    ["client error (Connect): Proxy server unreachable", "proxy unreachable (network error)"],
    ["client error (Connect): unsuccessful tunnel", "proxy unreachable (tunnel refused)"],
    [
      "client error (Connect): No acceptable auth methods",
      "proxy unreachable (authentication refused)",
    ],
    ["client error (SendRequest): connection closed before message completed", "connection closed"],
  ];
  for (const [reason, detail] of table) {
    assert.equal(describeProxied(fetchError(reason)), detail, reason);
  }
});
