/**
 * What the gateway reads in an Anthropic Messages stream as it relays it:
 * the preamble events that come before any content (held for failover), the
 * error event, the events that carry usage (`message_start` the input and
 * cache tokens, `message_delta` the output, cumulative), and content deltas.
 * Usage fields are read by `response.ts`.
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
