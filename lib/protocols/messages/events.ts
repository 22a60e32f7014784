/**
 * What the gateway reads in an Anthropic Messages stream as it relays it:
 * the preamble events that come before any content (held for failover), the
 * error event, the events that carry usage (`message_start` the input and
 * cache tokens, `message_delta` the output, cumulative), content deltas, and
 * the signed parts of thinking (which only the account that made them
 * verifies). Usage fields are read by `response.ts`.
 *
 * @module
 */

/** Events that come before any content. */
export const MESSAGES_PREAMBLE_EVENTS = ["message_start", "ping"] as const;

/** An error inside a stream. */
export const MESSAGES_ERROR_EVENT = "error";

/** The event that opens a message: its model and its input usage. */
export const MESSAGE_START = "message_start";

/** The event that closes a message: its (cumulative) output usage. */
export const MESSAGE_DELTA = "message_delta";

/** A data line carrying generated content. */
export const MESSAGES_DELTA = /"content_block_delta"/;

/** A data line that may carry a signed part of thinking: a signature delta, a redacted block. */
export const MESSAGES_SIGNED = /"signature_delta"|"redacted_thinking"/;

/**
 * The mark that ties a content block to the account that made it: a
 * `thinking` block's `signature`, a `redacted_thinking` block's `data`.
 * `undefined` for any other block, or an empty mark (thinking translated
 * from another API carries none).
 */
export function signedMark(block: unknown): string | undefined {
  if (block === null || typeof block !== "object") return undefined;
  const { type, signature, data } = block as Record<string, unknown>;
  const mark = type === "thinking" ? signature : type === "redacted_thinking" ? data : undefined;
  return typeof mark === "string" && mark !== "" ? mark : undefined;
}

/** The mark a stream event carries: a `signature_delta`'s signature, a redacted block's data. */
export function signedMarkOfEvent(event: Record<string, unknown>): string | undefined {
  const { type, delta, content_block: block } = event;
  if (type === "content_block_start") return signedMark(block);
  if (type !== "content_block_delta" || delta === null || typeof delta !== "object") {
    return undefined;
  }
  const { type: kind, signature } = delta as Record<string, unknown>;
  return kind === "signature_delta" && typeof signature === "string" && signature !== ""
    ? signature
    : undefined;
}

/** The marks in a message body's (or an assistant turn's) `content`. */
export function signedMarksOf(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  return content.map(signedMark).filter((mark) => mark !== undefined);
}
