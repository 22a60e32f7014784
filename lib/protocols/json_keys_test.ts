/** A repeated top-level key is found decoded, at the top level only. */

import assert from "node:assert/strict";
import { repeatedTopLevelKey } from "./json_keys.ts";

Deno.test("repeatedTopLevelKey: decoded keys, top level only", () => {
  const cases: [text: string, repeated: string | undefined][] = [
    ['{"model":"a"}', undefined],
    ["{}", undefined],
    ['{"model":"a","model":"b"}', "model"],
    ['{"model":"a","m\\u006fdel":"b"}', "model"],
    ['{ "stream" : true ,\n "stream": false }', "stream"],
    // Nested objects may repeat their parent's keys, and each other's.
    ['{"model":"a","tools":[{"model":"b"},{"model":"c"}]}', undefined],
    ['{"a":{"a":{"a":1}},"b":[{"a":1,"a":2}]}', undefined],
    // Values that look like keys are not keys.
    ['{"a":"b","c":"a"}', undefined],
    ['{"a":["a","a"],"b":{"x":"a"}}', undefined],
    // Quotes and backslashes inside strings.
    ['{"a":"say \\"a\\": 1, \\\\","a":2}', "a"],
    ['{"a\\\\":1,"a":2}', undefined],
    ['{"a\\"":1,"a\\u0022":2}', 'a"'],
    ['{"x":{"y":"}"},"y":1,"x":2}', "x"],
  ];
  for (const [text, repeated] of cases) {
    JSON.parse(text); // every case is well-formed JSON
    assert.equal(repeatedTopLevelKey(text), repeated, text);
  }
});
