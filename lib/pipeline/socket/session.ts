/**
 * One Responses WebSocket connection: its client messages, one turn at a
 * time, each bridged to the HTTP pipeline (`../api.ts`) as a streaming
 * `POST /v1/responses` made from the handshake's headers, so a turn is
 * admitted, planned, leased, forwarded with failover and relayed like any
 * request; the answer's SSE events (read with the one parser,
 * `lib/http/sse.ts`) go to the client one text message each. A refused or
 * failed turn gets one `error` event and the connection stays open.
 *
 * The connection closes on a limit (`limits.ts`), on shutdown (1001), or
 * when the client leaves, which cancels the turn in flight and so its
 * upstream request.
 *
 * @module
 */

import { errorBody, HttpError } from "../../http/errors.ts";
import { SseParser } from "../../http/sse.ts";
import { base64url } from "../../crypto/random.ts";
import { logWarning } from "../../log.ts";
import { handleApi, type Pipeline } from "../api.ts";
import { Conversation, TurnOutput } from "./conversation.ts";
import { CLOSE, type SocketLimits, tooBig } from "./limits.ts";
import {
  type ClientMessage,
  errorEvent,
  invalidMessageEvent,
  readClientMessage,
  warmupEvents,
} from "./messages.ts";
import { boundedText, MAX_ERROR_BYTES, parsed } from "./turn_io.ts";
import { markSocketTurn } from "./turns.ts";

/**
 * Backpressure: past this many bytes queued for a slow client, the answer
 * is not read further (so neither is the upstream) until the queue is down
 * to {@linkcode LOW_WATER}.
 */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
const DRAIN_POLL_MS = 10;

/** The `error` event's body for a turn whose answer broke off before its last event. */
function brokeOffBody(): unknown {
  const message = "the upstream's answer broke off before it was complete; send the turn again";
  return errorBody("openai", new HttpError(502, message));
}

/** What a connection works with. */
export interface SocketContext {
  pipeline: Pipeline;
  limits: SocketLimits;
  /** Called once the connection has closed. */
  closed(session: ResponsesSocket): void;
}

/** A client's Responses WebSocket. */
export class ResponsesSocket {
  readonly #conversation = new Conversation();
  readonly #headers: Headers;
  readonly #url: URL;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;
  /** Aborts the turn in flight: its request's signal. */
  #turn: AbortController | undefined;
  /** Cancels the answer being relayed, while one is. */
  #stopReading: (() => void) | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #lifeTimer: ReturnType<typeof setTimeout>;
  #closing: { code: number; reason: string } | undefined;
  /** The connection has closed: no timers are armed any more. */
  #ended = false;

  /** `headers`: the turns' (`turn_io.ts`), read before the upgrade closed the handshake request. */
  constructor(
    private readonly socket: WebSocket,
    headers: Headers,
    url: URL,
    private readonly context: SocketContext,
  ) {
    this.#headers = headers;
    this.#url = new URL(`${url.pathname}${url.search}`, url);
    const { limits } = context;
    socket.onmessage = (event) => this.#received(event.data);
    socket.onclose = () => this.#gone();
    socket.onerror = () => {}; // A reset is reported as a close too.
    this.#lifeTimer = setTimeout(
      () =>
        this.close(
          CLOSE.normal,
          `connection lifetime of ${limits.maxConnectionSeconds} s reached; open a new connection`,
        ),
      limits.maxConnectionSeconds * 1000,
    );
    this.#armIdle();
  }

  /** Closes the connection with `code`; a turn in flight finishes first. */
  close(code: number, reason: string): void {
    this.#closing ??= { code, reason };
    if (this.#pending === 0) this.#shut();
  }

  /** Closes the connection with `code` now, cancelling a turn in flight. */
  closeNow(code: number, reason: string): void {
    this.#shutNow(code, reason);
  }

  #received(data: unknown): void {
    if (this.#closing) return;
    if (typeof data !== "string") {
      return this.#shutNow(
        CLOSE.unsupportedData,
        "binary messages are not supported; send JSON text",
      );
    }
    const limit = this.context.limits.maxMessageBytes;
    if (tooBig(data, limit)) {
      return this.#shutNow(CLOSE.tooBig, `message larger than ${limit} bytes`);
    }
    const message = readClientMessage(data);
    if (message.kind === "ignored") return;
    this.#pending++;
    this.#disarmIdle();
    this.#queue = this.#queue.then(() => this.#answer(message)).catch((error) => {
      logWarning("websocket turn failed", { error: String(error) });
      this.#send(
        errorEvent(500, { error: { message: "internal gateway error", type: "server_error" } }),
      );
    }).finally(() => {
      this.#pending--;
      if (this.#closing && this.#pending === 0) this.#shut();
      else if (this.#pending === 0) this.#armIdle();
    });
  }

  async #answer(message: ClientMessage): Promise<void> {
    if (this.#isClosed) return;
    if (message.kind === "invalid") return this.#send(invalidMessageEvent(message.message));
    if (message.kind !== "create") return;
    const { body, input } = this.#conversation.expand(message.body);
    if (message.warmup) {
      // Nothing to generate: answered here, remembered as the start of the conversation.
      const id = `resp_${base64url(crypto.getRandomValues(new Uint8Array(18)))}`;
      for (const event of warmupEvents(id, body, Math.floor(Date.now() / 1000))) this.#send(event);
      this.#conversation.remember(id, input, []);
      return;
    }
    const turn = new AbortController();
    this.#turn = turn;
    try {
      const request = new Request(this.#url, {
        method: "POST",
        headers: this.#headers,
        body: JSON.stringify(body),
        signal: turn.signal,
      });
      markSocketTurn(request);
      const response = await handleApi(this.context.pipeline, request, this.#url);
      const output = await this.#relay(response);
      if (output?.completed && output.id) {
        this.#conversation.remember(output.id, input, output.items());
      }
    } finally {
      this.#turn = undefined;
    }
  }

  /** Sends a turn's answer: its events, or one `error` event; the output read on the way. */
  async #relay(response: Response): Promise<TurnOutput | undefined> {
    const streamed = (response.headers.get("content-type") ?? "").includes("text/event-stream");
    if (response.status >= 400 || !streamed || !response.body) {
      const text = await boundedText(response, MAX_ERROR_BYTES);
      const status = response.status >= 400 ? response.status : 502;
      const retry = response.headers.get("retry-after");
      this.#send(errorEvent(status, parsed(text), retry ? { "retry-after": retry } : {}));
      return undefined;
    }
    const output = new TurnOutput();
    const parser = new SseParser({
      event: (event, _raw, hasData) => {
        if (!hasData || event.data === "[DONE]") return;
        output.push(event.data);
        this.#send(event.data);
      },
    });
    // Read directly (no decoder stream between): a cancel reaches the relay at once.
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    this.#stopReading = () => void reader.cancel().catch(() => {});
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.push(decoder.decode(value, { stream: true }));
        if (this.socket.bufferedAmount > HIGH_WATER) await this.#drained();
      }
    } catch {
      // Cut off (the client left, or the body broke): the relay logged it.
    } finally {
      this.#stopReading = undefined;
    }
    // Over HTTP a stream cut short ends the body with an error; here the turn must still end,
    // or the client waits for a last event that never comes.
    if (!output.ended) this.#send(errorEvent(502, brokeOffBody()));
    return output;
  }

  /** Waits until the client has taken most of what is queued for it, or is gone. */
  async #drained(): Promise<void> {
    while (this.socket.bufferedAmount > LOW_WATER && !this.#isClosed) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  #send(text: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
  }

  get #isClosed(): boolean {
    return this.socket.readyState !== WebSocket.OPEN;
  }

  #armIdle(): void {
    this.#disarmIdle();
    if (this.#ended) return;
    const seconds = this.context.limits.idleSeconds;
    this.#idleTimer = setTimeout(
      () => this.close(CLOSE.normal, `idle for ${seconds} s; open a new connection`),
      seconds * 1000,
    );
  }

  #disarmIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Closes now, cancelling a turn in flight. */
  #shutNow(code: number, reason: string): void {
    this.#closing ??= { code, reason };
    this.#cancelTurn();
    this.#shut();
  }

  /**
   * Cancels the turn in flight: its request's signal (the upstream request),
   * then at once the answer being relayed, which the relay so logs as aborted.
   */
  #cancelTurn(): void {
    this.#turn?.abort();
    this.#stopReading?.();
  }

  #shut(): void {
    const { code, reason } = this.#closing ?? { code: CLOSE.normal, reason: "" };
    if (
      this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING
    ) {
      try {
        this.socket.close(code, reason);
      } catch {
        // Already closing.
      }
    }
  }

  /** The client left (or the close completed): the turn in flight is cancelled. */
  #gone(): void {
    this.#ended = true;
    this.#cancelTurn();
    this.#disarmIdle();
    clearTimeout(this.#lifeTimer);
    this.context.closed(this);
  }
}
