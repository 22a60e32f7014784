import assert from "node:assert/strict";
import { isTransportError, kvLabel, KvReachability, KvUnreachable } from "./reachability.ts";

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

Deno.test("reachability: with a probe, calls fail at once while down and the probe brings the store back", async () => {
  const reach = new KvReachability({ deadlineMs: 20 });
  let answer = Promise.withResolvers<void>();
  let probes = 0;
  reach.probeWith(() => {
    probes++;
    return answer.promise;
  }, 5);
  await assert.rejects(reach.call("hang", () => new Promise(() => {})), KvUnreachable);
  assert.equal(probes, 1, "the flip starts one probe");
  let ran = false;
  await assert.rejects(
    reach.call("get", () => {
      ran = true;
      return Promise.resolve(1);
    }),
    /down since/,
  );
  assert.equal(ran, false, "a call while down is not sent");
  assert.equal(probes, 1, "one probe at a time, however many calls fail");
  answer.resolve();
  await answer.promise;
  await Promise.resolve();
  assert.equal(reach.reachable, true);
  assert.equal(await reach.call("get", () => Promise.resolve(2)), 2);
  answer = Promise.withResolvers<void>();
  reach.close();
});

Deno.test("reachability: a probe that fails is tried again until one answers", async () => {
  const reach = new KvReachability({ deadlineMs: 1_000 });
  let failures = 2;
  const back = Promise.withResolvers<void>();
  reach.onChange((status) => status.reachable && back.resolve());
  reach.probeWith(
    () => failures-- > 0 ? Promise.reject(new Error("connection refused")) : Promise.resolve(),
    1,
  );
  reach.failed(new Error("connection refused"));
  const alive = setInterval(() => {}, 1_000); // the probe's timer does not hold the event loop
  await back.promise;
  clearInterval(alive);
  assert.equal(failures, -1);
  reach.close();
});

const labels: [string | undefined, string][] = [
  ["http://user:pw@kv.example:4512/db?token=x#f", "http://kv.example:4512/db"],
  ["https://kv.example", "https://kv.example"],
  ["./data/switchyard.kv", "./data/switchyard.kv"],
  [undefined, "default"],
];
for (const [location, expected] of labels) {
  Deno.test(`reachability: kvLabel(${location}) is ${expected} (no credentials in a log line)`, () => {
    assert.equal(kvLabel(location), expected);
  });
}

Deno.test("reachability: recheck asks the store once, within the deadline, before the probe noticed", async () => {
  const reach = new KvReachability({ deadlineMs: 20 });
  let up = false;
  reach.probeWith(() => up ? Promise.resolve() : new Promise(() => {}), 60_000);
  reach.failed(new Error("connection refused"));
  assert.equal(await reach.recheck(), false, "still down: false after the deadline");
  up = true;
  assert.equal(await reach.recheck(), true);
  assert.equal(reach.reachable, true);
  reach.close();
});

Deno.test("reachability: calls already waiting give up at once when another finds the store down", async () => {
  const reach = new KvReachability({ deadlineMs: 10_000 });
  reach.probeWith(() => new Promise(() => {}), 60_000);
  let fail!: (error: Error) => void;
  const first = reach.call("read rpm", () => new Promise((_, reject) => fail = reject));
  // A call of another request, begun before the store was known down: it would wait 10 s.
  const waiting = reach.call("take a slot", () => new Promise(() => {}));
  const settled = Promise.allSettled([first, waiting]);
  fail(new Error("error sending request: connection reset"));
  const timer = Promise.withResolvers<"still waiting">();
  const id = setTimeout(() => timer.resolve("still waiting"), 1_000);
  const outcome = await Promise.race([settled, timer.promise]);
  clearTimeout(id);
  reach.close();
  assert.notEqual(outcome, "still waiting");
  const [a, b] = outcome as PromiseSettledResult<unknown>[];
  assert.equal(a.status, "rejected");
  assert.equal(b.status, "rejected");
  assert.ok((b as PromiseRejectedResult).reason instanceof KvUnreachable);
  assert.match(String((b as PromiseRejectedResult).reason.message), /take a slot: another call/);
  // Without a probe nothing is known down: a waiting call keeps its own deadline.
  const plain = new KvReachability({ deadlineMs: 50 });
  let failPlain!: (error: Error) => void;
  const firstPlain = plain.call("a", () => new Promise((_, reject) => failPlain = reject));
  const slow = plain.call("b", () => new Promise((resolve) => setTimeout(() => resolve(1), 20)));
  failPlain(new Error("connection refused"));
  await assert.rejects(firstPlain, KvUnreachable);
  assert.equal(await slow, 1);
});
