import assert from "node:assert/strict";
import { ConfigError } from "./errors.ts";
import { Fields } from "./fields.ts";
import { readBudgets, readPricing } from "./pricing.ts";

Deno.test("pricing overrides: input and output required, the rest optional, bad fields named", () => {
  const read = (pricing: unknown) => readPricing(new Fields({ pricing }, ""), "pricing");
  assert.deepEqual(read({ "gpt-5": { input: 1.25, output: 10, cachedInput: 0.125 } }), {
    "gpt-5": { input: 1.25, output: 10, cachedInput: 0.125 },
  });
  assert.deepEqual(read({ "claude-*": { input: 3, output: 15, cacheWrite1h: 6, reasoning: 15 } }), {
    "claude-*": { input: 3, output: 15, cacheWrite1h: 6, reasoning: 15 },
  });
  const bad: [unknown, string][] = [
    [{ "gpt-5": { input: 1 } }, "pricing.gpt-5.output"],
    [{ "gpt-5": { input: -1, output: 1 } }, "pricing.gpt-5.input"],
    [{ "gpt-5": { input: "1", output: 1 } }, "pricing.gpt-5.input"],
    [{ "gpt-5": { input: 1, output: 1, cached: 1 } }, "pricing.gpt-5.cached"],
    [{ "gpt-5": 3 }, "pricing.gpt-5"],
    [{ " ": { input: 1, output: 1 } }, "pricing. "],
    [[], "pricing"],
  ];
  for (const [pricing, field] of bad) {
    assert.throws(
      () => read(pricing),
      (error) => error instanceof ConfigError && error.field === field,
      field,
    );
  }
});

Deno.test("budgets: usd, a known window, alertAt as a fraction, one per window", () => {
  const read = (budgets: unknown) => readBudgets(new Fields({ budgets }, "keys[0]"), "budgets");
  assert.deepEqual(read([{ usd: 50, per: "month" }, { usd: 2, per: "5h", alertAt: 0.8 }]), [
    { usd: 50, per: "month" },
    { usd: 2, per: "5h", alertAt: 0.8 },
  ]);
  const bad: [unknown, string][] = [
    [[{ usd: 0, per: "day" }], "keys[0].budgets[0].usd"],
    [[{ usd: 5, per: "hour" }], "keys[0].budgets[0].per"],
    [[{ usd: 5, per: "day", alertAt: 1.5 }], "keys[0].budgets[0].alertAt"],
    [[{ usd: 5, per: "day", cap: 1 }], "keys[0].budgets[0].cap"],
    [[{ usd: 5, per: "day" }, { usd: 6, per: "day" }], "keys[0].budgets[1].per"],
    [{ usd: 5 }, "keys[0].budgets"],
  ];
  for (const [budgets, field] of bad) {
    assert.throws(
      () => read(budgets),
      (error) => error instanceof ConfigError && error.field === field,
      field,
    );
  }
});
