/**
 * What the gateway reads in a Chat Completions stream as it relays it:
 * content deltas (for an output estimate when a stream is cut short), and
 * the final usage chunk (`choices: []` with `usage`), which a stream sends
 * only when the request sets `stream_options.include_usage`
 * (`usage_injection.ts`). Usage fields are read by `response.ts`.
 *
 * @module
 */

/** A data line carrying generated text, tool-call arguments or a refusal. */
export const CHAT_DELTA = /"delta"\s*:\s*\{[^{}]*"(content|text|arguments|refusal)"\s*:\s*"[^"]/;

/** Is this SSE event (its data) OpenAI's final chat usage chunk? */
export function isChatUsageChunk(data: string): boolean {
  if (!/"usage"\s*:\s*\{/.test(data)) return false;
  try {
    const chunk = JSON.parse(data);
    return chunk !== null && typeof chunk === "object" && Array.isArray(chunk.choices) &&
      chunk.choices.length === 0 && chunk.usage !== null && typeof chunk.usage === "object" &&
      !Array.isArray(chunk.usage);
  } catch {
    return false;
  }
}
