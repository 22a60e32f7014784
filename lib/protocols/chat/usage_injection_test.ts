/** `stream_options.include_usage` is added only where it is needed. */

import assert from "node:assert/strict";
import type { Account } from "../../config/types.ts";
import { readBodyFields } from "../body_fields.ts";
import { planUsageInjection } from "./usage_injection.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Plans for a body given as JSON text, read as the pipeline reads it. */
function plan(path: string, text: string) {
  const body = encode(text);
  const read = readBodyFields(body, "json");
  assert.ok(read.ok, text);
  return planUsageInjection(path, body, read.fields);
}

Deno.test("include_usage is added only for standard accounts on streaming chat requests", () => {
  const standard = { passthrough: false } as Account;
  const passthrough = { passthrough: true } as Account;
  const original = '{"model":"m","stream":true,"stream_options":{"foo":1}}';
  const planned = plan("/chat/completions", original)!;
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(planned.bodyFor(standard)!)).stream_options,
    {
      foo: 1,
      include_usage: true,
    },
  );
  assert.deepEqual(planned.bodyFor(passthrough), encode(original));
  const cases: [path: string, text: string, injected: boolean][] = [
    ["/chat/completions", '{"model":"m"}', false],
    ["/chat/completions", '{"model":"m","stream":false}', false],
    ["/chat/completions", '{"model":"m","stream":null}', false],
    ["/responses", '{"stream":true}', false],
    ["/chat/completions", '{"stream":true,"stream_options":{"include_usage":true}}', false],
    ["/chat/completions", '{"stream":true,"stream_options":"x"}', false],
    // The flag as the upstream reads it, escapes and all.
    ["/chat/completions", '{"stre\\u0061m":true}', true],
    ["/chat/completions", '{"stream" :\n true}', true],
    ["/chat/completions", '{"messages":[{"content":"\\"stream\\": true"}]}', false],
  ];
  for (const [path, text, injected] of cases) {
    assert.equal(plan(path, text) !== null, injected, `${path} ${text}`);
  }
});

Deno.test("the shared parsed body is not changed by the rewrite", () => {
  const read = readBodyFields(encode('{"stream":true,"stream_options":{"foo":1}}'), "json");
  assert.ok(read.ok);
  planUsageInjection("/chat/completions", encode("{}"), read.fields);
  assert.deepEqual(read.fields.json, { stream: true, stream_options: { foo: 1 } });
});
