/**
 * A raw Responses WebSocket client for tests (Deno's own `WebSocket`): opens
 * `ws://…/v1/responses` with the client key in the handshake, sends
 * `response.create` messages and reads the events one message each.
 *
 * @module
 */

import { CLIENT_KEY } from "./gateway.ts";
import { within } from "./async.ts";

/** Event types that end a turn. */
const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete", "error"]);

/** An open test connection. */
export class SocketClient implements AsyncDisposable {
  readonly messages: string[] = [];
  readonly closed: Promise<CloseEvent>;
  #read = 0;
  #wake: (() => void) | undefined;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        resolve(event);
        this.#wake?.();
      });
    });
    socket.addEventListener("message", (event) => {
      this.messages.push(String(event.data));
      this.#wake?.();
    });
  }

  /** Opens a connection to the gateway at `base` (`http://…`) with `key`. */
  static async open(
    base: string,
    key = CLIENT_KEY,
    headers: Record<string, string> = {},
  ): Promise<SocketClient> {
    const url = `${base.replace(/^http/, "ws")}/v1/responses`;
    const options = { headers: { authorization: `Bearer ${key}`, ...headers } };
    const socket = new WebSocket(url, options as unknown as string[]);
    const client = new SocketClient(socket);
    await within(
      new Promise<void>((resolve, reject) => {
        socket.addEventListener("open", () => resolve(), { once: true });
        socket.addEventListener("error", () => reject(new Error("handshake refused")), {
          once: true,
        });
      }),
      "the WebSocket to open",
    );
    return client;
  }

  /** Sends one JSON message. */
  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The next message, parsed; `undefined` once the connection has closed. */
  async next(): Promise<Record<string, unknown> | undefined> {
    while (this.#read >= this.messages.length) {
      if (this.socket.readyState === WebSocket.CLOSED) return undefined;
      await within(new Promise<void>((resolve) => this.#wake = resolve), "a WebSocket message");
    }
    return JSON.parse(this.messages[this.#read++]);
  }

  /** Sends `response.create` with `body` and reads the turn's events up to its last. */
  async turn(body: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    this.send({ type: "response.create", ...body });
    const events: Record<string, unknown>[] = [];
    for (;;) {
      const event = await this.next();
      if (!event) throw new Error(`closed mid-turn after ${events.length} events`);
      events.push(event);
      if (TERMINAL.has(String(event.type))) return events;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState < WebSocket.CLOSING) this.socket.close();
    await within(this.closed, "the WebSocket to close");
  }
}
