import assert from "node:assert/strict";
import { costMicros } from "./cost.ts";

Deno.test("costMicros prices each kind of token at its own price, exactly", () => {
  const sonnet = { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 };
  const cases: [
    string,
    Parameters<typeof costMicros>[0],
    Parameters<typeof costMicros>[1],
    number,
  ][] = [
    ["nothing", { input: 0, output: 0, cached: 0 }, sonnet, 0],
    ["plain", { input: 1_000_000, output: 0, cached: 0 }, sonnet, 3_000_000],
    ["output", { input: 0, output: 1000, cached: 0 }, sonnet, 15_000],
    // 100 uncached × 3 + 800 read × 0.3 + 100 written × 3.75 = 300 + 240 + 375
    ["cache read and write", { input: 1000, output: 0, cached: 800, cacheWrite: 100 }, sonnet, 915],
    // 1h writes at 6, the other 60 at 3.75: 40 × 6 + 60 × 3.75 = 240 + 225
    [
      "1h writes",
      { input: 100, output: 0, cached: 0, cacheWrite: 100, cacheWrite1h: 40 },
      sonnet,
      465,
    ],
    ["defaults to input", { input: 10, output: 0, cached: 10 }, { input: 2, output: 8 }, 20],
    ["reasoning at output", { input: 0, output: 10, cached: 0, reasoning: 6 }, {
      input: 2,
      output: 8,
    }, 80],
    [
      "reasoning priced apart",
      { input: 0, output: 10, cached: 0, reasoning: 6 },
      { input: 2, output: 8, reasoning: 1 },
      4 * 8 + 6,
    ],
    // 0.125 µ$ per token × 3 = 0.375 → rounds to 0; × 4 = 0.5 → rounds half up to 1
    ["rounds once, half up", { input: 4, output: 0, cached: 4 }, {
      input: 1.25,
      output: 10,
      cachedInput: 0.125,
    }, 1],
    ["rounds down below half", { input: 3, output: 0, cached: 3 }, {
      input: 1.25,
      output: 10,
      cachedInput: 0.125,
    }, 0],
    // 0.1 and 0.2 are not exact in binary; the sum in pico-dollars is.
    ["no float drift", { input: 10_000_000, output: 10_000_000, cached: 0 }, {
      input: 0.1,
      output: 0.2,
    }, 3_000_000],
    ["counts over the input clamp", { input: 5, output: 0, cached: 9, cacheWrite: 9 }, sonnet, 19],
  ];
  for (const [name, tokens, price, expected] of cases) {
    assert.equal(costMicros(tokens, price), expected, name);
  }
});
