import assert from "node:assert/strict";
import type { JsonObject } from "../json.ts";
import type { IrUsage } from "./ir.ts";
import { CHAT_USAGE, RESPONSES_USAGE, usageFromOpenAi } from "./openai_usage.ts";

Deno.test("usageFromOpenAi reads both spellings, and only its own", () => {
  const chat = {
    prompt_tokens: 12,
    completion_tokens: 7,
    total_tokens: 19,
    prompt_tokens_details: { cached_tokens: 4 },
    completion_tokens_details: { reasoning_tokens: 3 },
  };
  const responses = {
    input_tokens: 12,
    input_tokens_details: { cached_tokens: 4 },
    output_tokens: 7,
    output_tokens_details: { reasoning_tokens: 3 },
    total_tokens: 19,
  };
  const all = { input: 12, output: 7, cachedInput: 4, reasoning: 3 };
  const none = {
    input: undefined,
    output: undefined,
    cachedInput: undefined,
    reasoning: undefined,
  };
  const table: [
    name: string,
    usage: JsonObject | undefined,
    chat: Partial<IrUsage>,
    responses: Partial<IrUsage>,
  ][] = [
    ["absent", undefined, {}, {}],
    ["Chat usage", chat, all, none],
    ["Responses usage", responses, none, all],
    [
      "counts without details",
      { prompt_tokens: 5, completion_tokens: 1, input_tokens: 9 },
      { ...none, input: 5, output: 1 },
      { ...none, input: 9 },
    ],
    [
      "details that are not objects, counts that are not numbers",
      { prompt_tokens: "5", prompt_tokens_details: 3, output_tokens_details: null },
      none,
      none,
    ],
  ];
  for (const [name, usage, fromChat, fromResponses] of table) {
    assert.deepEqual(usageFromOpenAi(usage, CHAT_USAGE), fromChat, `${name}, Chat spelling`);
    assert.deepEqual(
      usageFromOpenAi(usage, RESPONSES_USAGE),
      fromResponses,
      `${name}, Responses spelling`,
    );
  }
});
