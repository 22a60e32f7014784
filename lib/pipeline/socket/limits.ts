/**
 * Limits of a Responses WebSocket connection and the close codes that
 * enforce them (README: Codex over WebSocket). Every close carries a reason
 * naming the limit.
 *
 * @module
 */

/** How long shutdown waits for the turns in flight on open WebSockets (docs/clients.md: 1001). */
export const SOCKET_DRAIN_MS = 10_000;

/** The configured limits (config `websocket`), defaults filled in. */
export interface SocketLimits {
  /** Largest client message, in bytes (a turn's request body). */
  maxMessageBytes: number;
  /** How long one connection may stay open. */
  maxConnectionSeconds: number;
  /** How long a connection may sit with no turn before it is closed. */
  idleSeconds: number;
  /** Seconds between pings on a quiet connection (a missed pong closes it). */
  pingSeconds: number;
}

/** Close codes (RFC 6455 §7.4.1) the gateway sends. */
export const CLOSE = {
  /** Idle too long, or the connection's lifetime is over: open a new one. */
  normal: 1000,
  /** The gateway is shutting down. */
  goingAway: 1001,
  /** A binary message: the protocol is JSON text. */
  unsupportedData: 1003,
  /** A message over `maxMessageBytes`. */
  tooBig: 1009,
} as const;

const encoder = new TextEncoder();

/** Is a text message over `limit` bytes (UTF-8)? Counts bytes only when it could be. */
export function tooBig(text: string, limit: number): boolean {
  // UTF-16 length <= UTF-8 bytes <= 3 x length.
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return encoder.encode(text).byteLength > limit;
}
