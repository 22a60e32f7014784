import assert from "node:assert/strict";
import { normaliseUsage, SseUsageScanner, usageFromJsonEnds } from "../lib/usage/extract.ts";
import { planUsageInjection } from "../lib/usage/stream_options.ts";
import { UsageChunkStripper } from "../lib/usage/tap.ts";
import { SecretBox } from "../lib/crypto/secret_box.ts";
import type { Account } from "../lib/config/types.ts";
import { anthropicStream, chatStream, responsesStream, sseText } from "./support/streams.ts";

Deno.test("normaliseUsage maps each surface to input/output/cached", () => {
  const cases: [unknown, "openai" | "anthropic", unknown][] = [
    [
      { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 4 } },
      "openai",
      {
        input: 10,
        output: 2,
        cached: 4,
      },
    ],
    [{ prompt_tokens: 8, total_tokens: 8 }, "openai", { input: 8, output: 0, cached: 0 }], // embeddings
    [{ input_tokens: 9, output_tokens: 3, input_tokens_details: { cached_tokens: 1 } }, "openai", {
      input: 9,
      output: 3,
      cached: 1,
    }],
    [
      {
        input_tokens: 5,
        cache_creation_input_tokens: 2,
        cache_read_input_tokens: 7,
        output_tokens: 4,
      },
      "anthropic",
      { input: 14, output: 4, cached: 7 },
    ],
    [null, "openai", undefined],
    [{ total: 3 }, "openai", undefined],
  ];
  for (const [raw, surface, expected] of cases) {
    assert.deepEqual(normaliseUsage(raw, surface), expected, JSON.stringify(raw));
  }
});

Deno.test("the SSE scanner finds usage however the stream is split into chunks", () => {
  const streams: [string, "openai" | "anthropic", unknown][] = [
    [sseText(chatStream(["a", "b"], true)), "openai", { input: 13, output: 2, cached: 3 }],
    [sseText(responsesStream(["a"])), "openai", { input: 11, output: 6, cached: 4 }],
    [sseText(anthropicStream(["a", "b"])), "anthropic", { input: 30, output: 9, cached: 8 }],
  ];
  for (const [text, surface, expected] of streams) {
    for (const size of [1, 7, 64, text.length]) {
      const scanner = new SseUsageScanner(surface);
      for (let i = 0; i < text.length; i += size) scanner.push(text.slice(i, i + size));
      scanner.end();
      assert.deepEqual(scanner.report().usage, expected, `${surface} split by ${size}`);
    }
  }
});

Deno.test("usage from the tail of a JSON body too large to keep", () => {
  const head = '{"id":"x","model":"gpt-big","data":[';
  const tail =
    '0.1,0.2]}],"note":"\\"usage\\": {}","usage":{"prompt_tokens":42,"total_tokens":42}}';
  assert.deepEqual(usageFromJsonEnds(head, tail, "openai"), {
    usage: { input: 42, output: 0, cached: 0 },
    model: "gpt-big",
    deltas: 0,
  });
});

Deno.test("the usage chunk stripper drops only the usage event, at any chunk boundary", () => {
  const text = sseText(chatStream(["a", "b"], true));
  const expected = sseText(
    chatStream(["a", "b"], true).filter(([, data]) =>
      !(typeof data === "object" && (data as { choices: unknown[] }).choices.length === 0)
    ),
  );
  for (const size of [1, 5, 33, text.length]) {
    const stripper = new UsageChunkStripper();
    let out = "";
    for (let i = 0; i < text.length; i += size) out += stripper.push(text.slice(i, i + size));
    out += stripper.end();
    assert.equal(out, expected, `split by ${size}`);
  }
  // Whole events without usage pass through as the very same string (no copy, no delay).
  const plain = 'data: {"choices":[{"delta":{"content":"x"}}]}\n\n';
  assert.equal(new UsageChunkStripper().push(plain), plain);
  // A queued stream learns its account only once served: it is asked then, and may keep the event.
  let asked = 0;
  const keeping = new UsageChunkStripper(() => (asked++, false));
  assert.equal(keeping.push(text) + keeping.end(), text);
  assert.equal(asked, 1);
});

Deno.test("include_usage is added only for standard accounts on streaming chat requests", () => {
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const standard = { passthrough: false } as Account;
  const passthrough = { passthrough: true } as Account;
  const original = encode({ model: "m", stream: true, stream_options: { foo: 1 } });
  const plan = planUsageInjection("/chat/completions", original)!;
  assert.deepEqual(JSON.parse(new TextDecoder().decode(plan.bodyFor(standard)!)).stream_options, {
    foo: 1,
    include_usage: true,
  });
  assert.equal(plan.bodyFor(passthrough), original);
  assert.equal(planUsageInjection("/chat/completions", encode({ model: "m" })), null);
  assert.equal(planUsageInjection("/responses", encode({ stream: true })), null);
  assert.equal(
    planUsageInjection(
      "/chat/completions",
      encode({ stream: true, stream_options: { include_usage: true } }),
    ),
    null,
  );
});

Deno.test("sealed secrets open only with the same secret and the same record id", async () => {
  const box = await SecretBox.fromSecret("one-secret-long-enough-for-tests", "account-secrets");
  const other = await SecretBox.fromSecret("another-secret-long-enough-too!!", "account-secrets");
  const sealed = await box.seal("sk-live-123", "acct-1");
  assert.ok(!JSON.stringify(sealed).includes("sk-live-123"));
  assert.equal(await box.open(sealed, "acct-1"), "sk-live-123");
  await assert.rejects(() => box.open(sealed, "acct-2"));
  await assert.rejects(() => other.open(sealed, "acct-1"));
  await assert.rejects(() => SecretBox.fromSecret("short", "account-secrets"));
  const tokens = await SecretBox.fromSecret("one-secret-long-enough-for-tests", "oauth-tokens");
  await assert.rejects(() => tokens.open(sealed, "acct-1"), "another purpose derives another key");
});
