/** What the gateway reads from a body, and what it refuses. */

import assert from "node:assert/strict";
import { type BodyKind, formModel, isForm, readBodyFields } from "./body_fields.ts";

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("readBodyFields: one parse, fields as the upstream reads them", () => {
  const read: [text: string, model: string | undefined, stream: boolean][] = [
    ['{"model":"gpt-4o","stream":true}', "gpt-4o", true],
    ['{"m\\u006fdel":"o1-pro"}', "o1-pro", false],
    ['{"model":"\\u006f1-pro"}', "o1-pro", false],
    ['{"stre\\u0061m":true}', undefined, true],
    ['{"stream":null,"model":"m"}', "m", false],
    ['{"stream":false}', undefined, false],
    ['{"messages":[{"content":"\\"model\\": \\"o1-pro\\""}]}', undefined, false],
    ['{"tools":[{"model":"x","stream":"y"}]}', undefined, false],
  ];
  for (const [text, model, stream] of read) {
    const result = readBodyFields(encode(text), "json");
    assert.ok(result.ok, text);
    assert.equal(result.fields.model, model, text);
    assert.equal(result.fields.stream, stream, text);
    assert.deepEqual(result.fields.json, JSON.parse(text));
  }
});

Deno.test("readBodyFields: what is refused, naming the field", () => {
  const refused: [text: string, kind: BodyKind, param: string | undefined, message: RegExp][] = [
    ['{"model":"m",', "json", undefined, /not valid JSON/],
    ["", "json", undefined, /empty/],
    ["[]", "json", undefined, /JSON object/],
    ['"model"', "json", undefined, /JSON object/],
    ['{"model":"a","model":"b"}', "json", "model", /more than once/],
    ['{"model":"a","m\\u006fdel":"b"}', "maybe-json", "model", /more than once/],
    ['{"input":"x","input":"y"}', "json", "input", /more than once/],
    ['{"model":1}', "json", "model", /non-empty string/],
    ['{"model":null}', "json", "model", /non-empty string/],
    ['{"model":""}', "json", "model", /non-empty string/],
    ['{"model":["a"]}', "maybe-json", "model", /non-empty string/],
    ['{"stream":"true"}', "json", "stream", /boolean/],
    ['{"stream":1}', "json", "stream", /boolean/],
  ];
  for (const [text, kind, param, message] of refused) {
    const result = readBodyFields(encode(text), kind);
    assert.ok(!result.ok, text);
    assert.equal(result.param, param, text);
    assert.match(result.message, message, text);
  }
});

Deno.test("readBodyFields: no body, a form, or opaque bytes on another path: no fields", () => {
  const none: [body: string | null, kind: BodyKind][] = [
    [null, "json"],
    [null, "maybe-json"],
    ["", "maybe-json"],
    ["--x\r\ncontent-disposition: form-data; name=model\r\n\r\nm\r\n--x--", "form"],
    ['{"model":"m",', "maybe-json"],
    ["[1,2]", "maybe-json"],
    ["\x00\x01binary", "maybe-json"],
  ];
  for (const [body, kind] of none) {
    const result = readBodyFields(body === null ? null : encode(body), kind);
    assert.ok(result.ok, String(body));
    assert.equal(result.fields.json, undefined);
    assert.equal(result.fields.model, undefined);
  }
});

Deno.test("readBodyFields: invalid UTF-8 is refused where the body is JSON, not read as U+FFFD", () => {
  const withByte = (before: string, byte: number, after: string) =>
    new Uint8Array([...encode(before), byte, ...encode(after)]);
  const refused: [body: Uint8Array, kind: BodyKind][] = [
    [withByte('{"model":"gpt-4o', 0xff, '"}'), "json"],
    [withByte('{"m', 0xc3, 'odel":"gpt-4o"}'), "json"],
    [withByte('{"model":"m","input":"', 0x80, '"}'), "json"],
    [withByte("", 0xff, "binary"), "json"],
    [withByte('{"model":"o1-pro', 0xff, '"}'), "maybe-json"],
  ];
  for (const [body, kind] of refused) {
    const result = readBodyFields(body, kind);
    assert.ok(!result.ok, `${kind} ${body}`);
    assert.equal(result.message, "the request body is not valid JSON (it is not valid UTF-8)");
  }
  const opaque = readBodyFields(withByte("", 0xff, "\x00binary"), "maybe-json");
  assert.ok(opaque.ok);
  assert.equal(opaque.fields.json, undefined);
  const bom = readBodyFields(
    new Uint8Array([0xef, 0xbb, 0xbf, ...encode('{"model":"m"}')]),
    "json",
  );
  assert.ok(bom.ok && bom.fields.model === "m", "a UTF-8 byte order mark is still fine");
  const replacement = readBodyFields(encode('{"model":"m","input":"\ufffd"}'), "json");
  assert.ok(replacement.ok, "U+FFFD sent as UTF-8 is a character like any other");
  assert.equal(replacement.fields.json?.input, "\ufffd");
});

Deno.test("isForm and formModel", () => {
  assert.equal(isForm("multipart/form-data; boundary=abc"), true);
  assert.equal(isForm("application/x-www-form-urlencoded"), true);
  assert.equal(isForm("application/json"), false);
  assert.equal(isForm("multipart/form-datax"), false);
  assert.equal(isForm(null), false);
  const form = (...models: (string | Blob)[]) => {
    const data = new FormData();
    for (const model of models) data.append("model", model);
    return data;
  };
  assert.deepEqual(formModel(form()), { ok: true });
  assert.deepEqual(formModel(form("whisper-1")), { ok: true, model: "whisper-1" });
  assert.equal(formModel(form("a", "b")).ok, false);
  assert.equal(formModel(form("")).ok, false);
  assert.equal(formModel(form(new Blob(["o1-pro"]))).ok, false);
});
