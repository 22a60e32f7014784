/**
 * OpenAI's usage object read into canonical counts. Chat Completions and
 * Responses report the same four numbers in two spellings: `prompt`/
 * `completion` and `input`/`output` before `_tokens` and `_tokens_details`
 * (the details holding `cached_tokens` and `reasoning_tokens`). One reader
 * serves both, so the two cannot drift apart.
 *
 * @module
 */

import { type JsonObject, num, obj } from "../json.ts";
import type { IrUsage } from "./ir.ts";

/** The field names of one spelling. */
export interface OpenAiUsageSpelling {
  input: string;
  output: string;
  inputDetails: string;
  outputDetails: string;
}

function spelling(input: string, output: string): OpenAiUsageSpelling {
  return {
    input: `${input}_tokens`,
    output: `${output}_tokens`,
    inputDetails: `${input}_tokens_details`,
    outputDetails: `${output}_tokens_details`,
  };
}

/** Chat Completions (also Completions and Embeddings): `prompt_tokens`, `completion_tokens`. */
export const CHAT_USAGE: OpenAiUsageSpelling = spelling("prompt", "completion");

/** Responses: `input_tokens`, `output_tokens`. */
export const RESPONSES_USAGE: OpenAiUsageSpelling = spelling("input", "output");

/** Reads an OpenAI usage object in `names`' spelling; a count it lacks stays `undefined`. */
export function usageFromOpenAi(
  usage: JsonObject | undefined,
  names: OpenAiUsageSpelling,
): Partial<IrUsage> {
  if (!usage) return {};
  return {
    input: num(usage, names.input),
    output: num(usage, names.output),
    cachedInput: num(obj(usage, names.inputDetails), "cached_tokens"),
    reasoning: num(obj(usage, names.outputDetails), "reasoning_tokens"),
  };
}
