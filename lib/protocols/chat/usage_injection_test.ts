/** `stream_options.include_usage` is added only where it is needed. */

import assert from "node:assert/strict";
import type { Account } from "../../config/types.ts";
import { planUsageInjection } from "./usage_injection.ts";

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
