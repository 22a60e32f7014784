/**
 * Failover before the first content byte. A 200 event stream can still fail:
 * Codex sends `response.created`, then `response.failed` for a usage limit;
 * Anthropic sends `event: error` with `overloaded_error`. Until content
 * flows, nothing has reached the client, so the request may move on.
 *
 * {@linkcode holdPreamble} reads a stream's first events and holds back
 * preamble events (`response.created`, `message_start`, `ping`, comments)
 * until the first content event, an error event, the end of the stream, or
 * the hold limit. {@linkcode classifyEvent} and {@linkcode errorEventAnswer}
 * are pure and table-tested. Once content has flowed the gateway never
 * switches: later upstream error events reach the client as they are.
 *
 * @module
 */

import { type SseEvent, SseParser } from "../http/sse.ts";
import { MESSAGES_ERROR_EVENT, MESSAGES_PREAMBLE_EVENTS } from "../protocols/messages/events.ts";
import { RESPONSES_ERROR_EVENT, RESPONSES_PREAMBLE_EVENTS } from "../protocols/responses/events.ts";
import type { UpstreamAnswer } from "./classify.ts";

/** Default bound on holding preamble events. */
export const DEFAULT_PREAMBLE_HOLD_MS = 10_000;

/** Most bytes held before giving up and passing the stream through. */
export const PREAMBLE_MAX_BYTES = 256 * 1024;

/** Events that come before any content, in the APIs that have them. */
const PREAMBLE_EVENTS = new Set<string>([
  ...RESPONSES_PREAMBLE_EVENTS,
  ...MESSAGES_PREAMBLE_EVENTS,
]);

/** Error events: before any content, the request may still move on. */
const ERROR_EVENTS = new Set<string>([RESPONSES_ERROR_EVENT, MESSAGES_ERROR_EVENT]);

/** What an event means for failover. */
export type EventClass = "preamble" | "content" | "error";

/** Classifies one event; its data is parsed only when it has no `event:` name. */
export function classifyEvent(event: SseEvent): EventClass {
  if (event.event !== undefined) {
    if (ERROR_EVENTS.has(event.event)) return "error";
    return PREAMBLE_EVENTS.has(event.event) ? "preamble" : "content";
  }
  if (event.data === "") return "preamble"; // comments only
  const json = parseObject(event.data);
  const name = typeof json?.type === "string" ? json.type : undefined;
  if (name !== undefined && ERROR_EVENTS.has(name)) return "error";
  if (name !== undefined && PREAMBLE_EVENTS.has(name)) return "preamble";
  if (name === undefined && json?.error !== undefined && json.error !== null) return "error";
  return "content";
}

/**
 * The error event as the error response it stands for, for the classifier:
 * rate limits and usage limits become 429, overload 529, server errors 500,
 * anything else 400 (passed back, no failover).
 */
export function errorEventAnswer(event: SseEvent, headers: Headers): UpstreamAnswer {
  const json = parseObject(event.data) ?? {};
  const response = asObject(json.response);
  const error = asObject(response?.error) ?? asObject(json.error) ?? json;
  const code = [error.code, error.type]
    .find((value) => typeof value === "string" && value !== "error") as string | undefined;
  const text = `${code ?? ""} ${typeof error.message === "string" ? error.message : ""}`
    .toLowerCase();
  let status = 400;
  if (/usage_limit|usage limit|insufficient_quota|quota/.test(text)) status = 429;
  else if (/rate_limit|rate limit/.test(text)) status = 429;
  else if (/overloaded|slow_down|capacity/.test(text)) status = 529;
  else if (/server_error|api_error|internal/.test(text)) status = 500;
  const body: Record<string, unknown> = {
    type: code ?? "error",
    code: code ?? null,
    message: typeof error.message === "string" ? error.message : "",
  };
  if (error.resets_at !== undefined) body.resets_at = error.resets_at;
  if (error.resets_in_seconds !== undefined) body.resets_in_seconds = error.resets_in_seconds;
  return { status, headers, body: JSON.stringify({ error: body }) };
}

/** What the start of a stream came to. */
export type Preamble =
  /** Content arrived (or the hold ended): relay `held`, then `pending`, then the reader. */
  | {
    kind: "content";
    held: Uint8Array[];
    pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
    reader: ReadableStreamDefaultReader<Uint8Array>;
  }
  /** The first non-preamble event was an error; nothing has been sent. */
  | {
    kind: "error";
    event: SseEvent;
    held: Uint8Array[];
    reader: ReadableStreamDefaultReader<Uint8Array>;
  }
  /** The stream failed before any content. */
  | { kind: "dropped" };

/** Reads a stream until its first content or error event, or `holdMs`. */
export async function holdPreamble(
  body: ReadableStream<Uint8Array>,
  holdMs: number,
): Promise<Preamble> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  const events: SseEvent[] = [];
  const parser = new SseParser({ event: (event) => events.push(event) });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), holdMs);
  });
  try {
    for (;;) {
      const pending = reader.read();
      const next = await Promise.race([pending, expired]);
      if (next === "expired") return { kind: "content", held, pending, reader };
      if (next.done) return { kind: "content", held, reader };
      held.push(next.value);
      heldBytes += next.value.byteLength;
      parser.push(decoder.decode(next.value, { stream: true }));
      for (const event of events.splice(0)) {
        const kind = classifyEvent(event);
        if (kind === "error") return { kind: "error", event, held, reader };
        if (kind === "content") return { kind: "content", held, reader };
      }
      if (heldBytes > PREAMBLE_MAX_BYTES) return { kind: "content", held, reader };
    }
  } catch {
    await reader.cancel().catch(() => {});
    return { kind: "dropped" };
  } finally {
    clearTimeout(timer);
  }
}

/** Is this response an event stream? */
export function isEventStream(headers: Headers): boolean {
  return (headers.get("content-type") ?? "").toLowerCase().includes("text/event-stream");
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}
