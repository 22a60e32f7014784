/**
 * Token usage in the gateway's three numbers, read by each client API's own
 * usage codec (`chat/response.ts`, `responses/response.ts`,
 * `messages/response.ts`):
 * - `input`: every prompt token, cached or not (Anthropic's `input_tokens` +
 *   `cache_creation_input_tokens` + `cache_read_input_tokens`);
 * - `output`: generated tokens;
 * - `cached`: prompt tokens served from the cache.
 *
 * @module
 */

import type { Surface } from "../http/errors.ts";
import { usageFromChat } from "./chat/response.ts";
import type { JsonObject } from "./json.ts";
import { usageFromMessages } from "./messages/response.ts";
import { usageFromResponses } from "./responses/response.ts";

/** Normalised token counts. */
export interface TokenUsage {
  input: number;
  output: number;
  cached: number;
}

/** Normalises a `usage` object of any surface; `undefined` when it holds no counts. */
export function tokenUsage(raw: unknown, surface: Surface): TokenUsage | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const usage = raw as JsonObject;
  if (typeof usage.prompt_tokens === "number") {
    // Chat Completions, Completions, Embeddings.
    const chat = usageFromChat(usage);
    return {
      input: usage.prompt_tokens,
      output: count(chat.output),
      cached: count(chat.cachedInput),
    };
  }
  if (typeof usage.input_tokens !== "number" && typeof usage.output_tokens !== "number") {
    return undefined;
  }
  if (surface === "anthropic") {
    const messages = usageFromMessages(usage);
    const read = count(messages.cachedInput);
    const input = count(num(usage.input_tokens)) + count(messages.cacheWrite) + read;
    return { input, output: count(messages.output), cached: read };
  }
  const responses = usageFromResponses(usage);
  return {
    input: count(responses.input),
    output: count(responses.output),
    cached: count(responses.cachedInput),
  };
}

/** A count as the gateway keeps it: a positive finite number, else 0. */
function count(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}
