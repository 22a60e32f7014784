/** Each API's usage, in the gateway's three numbers. */

import assert from "node:assert/strict";
import { tokenUsage } from "./usage.ts";

Deno.test("tokenUsage maps each surface to input/output/cached (and the counts pricing needs)", () => {
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
      { input: 14, output: 4, cached: 7, cacheWrite: 2 },
    ],
    // The counts only pricing needs: cache writes (1-hour ones apart) and reasoning.
    [
      {
        input_tokens: 5,
        cache_creation_input_tokens: 10,
        cache_creation: { ephemeral_5m_input_tokens: 6, ephemeral_1h_input_tokens: 4 },
        output_tokens: 9,
        output_tokens_details: { thinking_tokens: 3 },
      },
      "anthropic",
      { input: 15, output: 9, cached: 0, cacheWrite: 10, cacheWrite1h: 4, reasoning: 3 },
    ],
    [
      {
        prompt_tokens: 10,
        completion_tokens: 6,
        completion_tokens_details: { reasoning_tokens: 5 },
      },
      "openai",
      { input: 10, output: 6, cached: 0, reasoning: 5 },
    ],
    [
      { input_tokens: 9, output_tokens: 3, output_tokens_details: { reasoning_tokens: 2 } },
      "openai",
      { input: 9, output: 3, cached: 0, reasoning: 2 },
    ],
    [null, "openai", undefined],
    [{ total: 3 }, "openai", undefined],
  ];
  for (const [raw, surface, expected] of cases) {
    assert.deepEqual(tokenUsage(raw, surface), expected, JSON.stringify(raw));
  }
});
