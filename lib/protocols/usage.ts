/**
 * Token usage in the gateway's three numbers, read by each client API's own
 * usage codec (`chat/response.ts`, `responses/response.ts`,
 * `messages/response.ts`):
 * - `input`: every prompt token, cached or not (Anthropic's `input_tokens` +
 *   `cache_creation_input_tokens` + `cache_read_input_tokens`);
 * - `output`: generated tokens;
 * - `cached`: prompt tokens served from the cache.
 *
 * And, only when the answer reports them (for pricing, `lib/usage/cost.ts`):
 * `cacheWrite` (prompt tokens written to the cache, part of `input`),
 * `cacheWrite1h` (those written for an hour, part of `cacheWrite`) and
 * `reasoning` (thinking tokens, part of `output`).
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
  cacheWrite?: number;
  cacheWrite1h?: number;
  reasoning?: number;
}

/** Normalises a `usage` object of any surface; `undefined` when it holds no counts. */
export function tokenUsage(raw: unknown, surface: Surface): TokenUsage | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const usage = raw as JsonObject;
  if (typeof usage.prompt_tokens === "number") {
    // Chat Completions, Completions, Embeddings.
    const chat = usageFromChat(usage);
    return withExtras(
      {
        input: usage.prompt_tokens,
        output: count(chat.output),
        cached: count(chat.cachedInput),
      },
      0,
      0,
      chat.reasoning,
    );
  }
  if (typeof usage.input_tokens !== "number" && typeof usage.output_tokens !== "number") {
    return undefined;
  }
  if (surface === "anthropic") {
    const messages = usageFromMessages(usage);
    const read = count(messages.cachedInput);
    const input = count(num(usage.input_tokens)) + count(messages.cacheWrite) + read;
    const creation = usage.cache_creation;
    const hour = creation !== null && typeof creation === "object" && !Array.isArray(creation)
      ? num((creation as JsonObject).ephemeral_1h_input_tokens)
      : undefined;
    return withExtras(
      { input, output: count(messages.output), cached: read },
      messages.cacheWrite,
      hour,
      messages.reasoning,
    );
  }
  const responses = usageFromResponses(usage);
  return withExtras(
    {
      input: count(responses.input),
      output: count(responses.output),
      cached: count(responses.cachedInput),
    },
    0,
    0,
    responses.reasoning,
  );
}

/** Adds the counts only some answers carry, each only when positive. */
function withExtras(
  usage: TokenUsage,
  cacheWrite: number | undefined,
  cacheWrite1h: number | undefined,
  reasoning: number | undefined,
): TokenUsage {
  if (count(cacheWrite) > 0) usage.cacheWrite = count(cacheWrite);
  if (count(cacheWrite1h) > 0) usage.cacheWrite1h = count(cacheWrite1h);
  if (count(reasoning) > 0) usage.reasoning = count(reasoning);
  return usage;
}

/** A count as the gateway keeps it: a positive finite number, else 0. */
function count(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}
