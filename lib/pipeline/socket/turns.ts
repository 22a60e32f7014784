/**
 * Which requests are WebSocket turns: each `response.create` of a Responses
 * WebSocket goes through the pipeline as a request of its own, and the
 * relay marks its log line, metrics and live view with `transport:
 * "websocket"`. A registry of the synthetic requests, so the pipeline's
 * stages need no new parameter.
 *
 * @module
 */

const turns = new WeakSet<Request>();

/** Marks `request` as a WebSocket turn. */
export function markSocketTurn(request: Request): void {
  turns.add(request);
}

/** The transport of `request`, when it is not plain HTTP. */
export function transportOf(request: Request): "websocket" | undefined {
  return turns.has(request) ? "websocket" : undefined;
}
