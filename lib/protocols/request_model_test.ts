/**
 * Table tests for the request-body model scan: the top-level `model` only,
 * whatever comes before it, without parsing the body.
 */

import assert from "node:assert/strict";
import { lazyRequestModel, requestModel } from "./request_model.ts";

const encode = (text: string) => new TextEncoder().encode(text);

const ROWS: [name: string, body: string | null, model: string | undefined][] = [
  ["model first", '{"model":"gpt-4o","messages":[]}', "gpt-4o"],
  [
    "model after messages (the Python SDK's order)",
    '{"messages":[{"role":"user","content":"hi"}],"model":"gpt-4o"}',
    "gpt-4o",
  ],
  [
    "whitespace and newlines",
    '{\n  "stream" : true ,\r\n\t"model" :\n "claude-opus-4-1"\n}',
    "claude-opus-4-1",
  ],
  [
    "a nested model key comes first",
    '{"tools":[{"parameters":{"properties":{"model":{"default":"nested"}}}}],"metadata":{"model":"inner"},"model":"top"}',
    "top",
  ],
  [
    "a string value that looks like a model key",
    '{"prompt":"say \\"model\\": \\"fake\\"","model":"real"}',
    "real",
  ],
  ['a value "model" is not a key', '{"kind":"model","model":"m-1"}', "m-1"],
  ["escapes in the value are decoded", '{"model":"gpt\\u002d4o"}', "gpt-4o"],
  ["non-ASCII text before the key", '{"content":"héllo ✓ 日本","model":"gpt-4o"}', "gpt-4o"],
  ["no model", '{"messages":[]}', undefined],
  ["a model that is not a string", '{"model":42}', undefined],
  ["an empty model", '{"model":""}', undefined],
  ["an array body", '[{"model":"x"}]', undefined],
  ["not JSON", "model=gpt-4o", undefined],
  ["a body cut inside a string", '{"messages":[{"content":"abc', undefined],
  ["a body cut inside the value", '{"model":"gpt-4', undefined],
  ["an empty body", "", undefined],
  ["no body", null, undefined],
];

Deno.test("requestModel finds the top-level model and nothing else", async (t) => {
  for (const [name, body, model] of ROWS) {
    await t.step(name, () => {
      assert.equal(requestModel(body === null ? null : encode(body)), model);
    });
  }
});

Deno.test("lazyRequestModel scans only when asked, and only once", () => {
  const body = encode('{"model":"gpt-4o"}');
  const model = lazyRequestModel(body);
  body.set(encode('{"model":"gpt-4x"}')); // a scan after this point would see the change
  assert.equal(model(), "gpt-4x");
  body.set(encode('{"model":"gpt-4o"}'));
  assert.equal(model(), "gpt-4x", "the first answer is kept");
});
