/** Each API's usage, in the gateway's three numbers. */

import assert from "node:assert/strict";
import { tokenUsage } from "./usage.ts";

Deno.test("tokenUsage maps each surface to input/output/cached", () => {
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
    assert.deepEqual(tokenUsage(raw, surface), expected, JSON.stringify(raw));
  }
});
