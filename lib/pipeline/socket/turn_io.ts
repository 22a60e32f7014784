/**
 * A WebSocket turn's request and a refused turn's answer as plain HTTP
 * values: the handshake's headers made into a turn's request headers, and
 * an error body read (bounded) to put in an `error` event.
 *
 * @module
 */

import { isObject } from "../../protocols/json.ts";

/** Handshake headers that belong to the socket, not to the turns sent upstream. */
const SOCKET_HEADERS = ["upgrade", "connection", "content-length", "content-type", "accept"];

/** The largest error body read to answer a refused turn. */
export const MAX_ERROR_BYTES = 64 * 1024;

/**
 * The handshake's headers as a turn's request headers. Read before
 * `Deno.upgradeWebSocket`: after it, the handshake request is closed.
 */
export function turnHeaders(handshake: Headers): Headers {
  const headers = new Headers();
  for (const [name, value] of handshake) {
    if (SOCKET_HEADERS.includes(name) || name.startsWith("sec-websocket-")) continue;
    // The socket's beta flag means nothing to an HTTP upstream.
    if (name === "openai-beta" && value.includes("responses_websockets")) continue;
    headers.set(name, value);
  }
  headers.set("content-type", "application/json");
  headers.set("accept", "text/event-stream");
  return headers;
}

/** Up to `limit` bytes of a body as text; the rest is cancelled. */
export async function boundedText(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut off: answer from what came.
  } finally {
    void reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes.subarray(0, limit));
}

export function parsed(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : text;
  } catch {
    return text;
  }
}
