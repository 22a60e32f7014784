import assert from "node:assert/strict";
import { encodeKey } from "./key_codec.ts";
import { planRange } from "./ranges.ts";

const key = (k: Deno.KvKey, suffix?: number) =>
  suffix === undefined ? encodeKey(k) : Uint8Array.from([...encodeKey(k), suffix]);

Deno.test("ranges: each bound form Deno's client sends becomes local reads covering it", () => {
  const table: [string, Uint8Array, Uint8Array, unknown][] = [
    ["get", key(["a"]), key(["a"], 0x00), [{ get: ["a"] }]],
    ["prefix", key(["p"], 0x00), key(["p"], 0xff), [{ get: ["p"] }, { list: { prefix: ["p"] } }]],
    ["whole database", key([], 0x00), key([], 0xff), [{ list: { prefix: [] } }]],
    ["start/end", key(["a"]), key(["c"]), [{ list: { start: ["a"], end: ["c"] } }]],
    ["prefix + start", key(["p", 2n]), key(["p"], 0xff), [{
      list: { prefix: ["p"], start: ["p", 2n] },
    }]],
    ["prefix + end", key(["p"], 0x00), key(["p", 2n]), [{
      list: { start: ["p"], end: ["p", 2n] },
    }]],
    ["cursor forward", key(["p", "k"], 0x00), key(["p"], 0xff), [{
      list: { prefix: ["p"], start: ["p", "k"] },
    }]],
    ["start below a subtree", key(["a"]), key(["p"], 0xff), [
      { list: { start: ["a"], end: ["p"] } },
      { get: ["p"] },
      { list: { prefix: ["p"] } },
    ]],
    ["start after the subtree", key(["z"]), key(["p"], 0xff), []],
    ["empty", key(["c"]), key(["a"]), []],
    ["start equals end", key(["a"]), key(["a"]), []],
  ];
  for (const [what, start, end, expected] of table) {
    assert.deepEqual(planRange(start, end), expected, what);
  }
});

Deno.test("ranges: a bound that is no key form is refused", () => {
  assert.throws(() => planRange(Uint8Array.from([0x02, 0x61]), key(["b"])), /start/);
  assert.throws(() => planRange(key(["a"]), Uint8Array.from([0x02, 0x62, 0x05])), /end/);
});
