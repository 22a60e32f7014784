import assert from "node:assert/strict";
import { isTransportError, KvReachability, KvUnreachable } from "./reachability.ts";

Deno.test("reachability: a call past its deadline throws KvUnreachable and marks the store down until one answers", async () => {
  let now = 1_000;
  const reach = new KvReachability({ deadlineMs: 20, now: () => now });
  const changes: boolean[] = [];
  reach.onChange((status) => changes.push(status.reachable));
  await assert.rejects(reach.call("hang", () => new Promise(() => {})), KvUnreachable);
  assert.equal(reach.reachable, false);
  assert.equal(reach.status().since, 1_000);
  now = 2_000;
  assert.equal(await reach.call("get", () => Promise.resolve(7)), 7);
  assert.deepEqual(reach.status(), { reachable: true, lastOkAt: 2_000 });
  assert.deepEqual(changes, [false, true]);
});

Deno.test("reachability: a transport error marks down; the call's own error is rethrown and does not", async () => {
  const reach = new KvReachability({ deadlineMs: 1_000 });
  await assert.rejects(
    reach.call("commit", () => Promise.reject(new TypeError("Value too large"))),
    TypeError,
  );
  assert.equal(reach.reachable, true);
  await assert.rejects(
    reach.call("get", () => Promise.reject(new Error("error sending request: connection refused"))),
    KvUnreachable,
  );
  assert.equal(reach.reachable, false);
  assert.match(reach.status().lastError ?? "", /connection refused/);
});

Deno.test("reachability: a local file (no deadline) runs calls as they are", async () => {
  const reach = new KvReachability();
  assert.equal(reach.deadlineMs, Infinity);
  assert.equal(await reach.call("get", () => Promise.resolve("v")), "v");
});

const transport: [string, boolean][] = [
  ["error sending request for url (http://127.0.0.1:1/): connection refused", true],
  ["Failed to fetch metadata: 503 Service Unavailable", true],
  ["Unauthorized", true],
  ["Value too large (max 65536 bytes)", false],
  ["Key too large for write (max 2048 bytes)", false],
  ["database is locked", false],
];
for (const [message, expected] of transport) {
  Deno.test(`reachability: "${message}" is ${expected ? "" : "not "}a transport error`, () => {
    assert.equal(isTransportError(new Error(message)), expected);
  });
}
