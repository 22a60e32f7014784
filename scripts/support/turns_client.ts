/**
 * The benchmark's Responses turn client, a process of its own:
 * `deno run --allow-net scripts/support/turns_client.ts '<spec as JSON>'`.
 * `clients` clients each send the same Responses turn back to back until
 * `count` turns or `maxSeconds`: over `websocket`, one Responses WebSocket per
 * client (`GET /v1/responses`, each turn a `response.create` message, its
 * events one message each); over `http`, one keep-alive connection per client
 * (`POST /v1/responses` with `stream: true`, raw HTTP/1.1, `raw_client.ts`).
 * Prints one JSON line: turns per second, and the time from sending a turn to
 * its first event (WebSocket: the first message; HTTP: the first body byte)
 * and to its end. A turn that does not end with `response.completed` counts
 * as a failure.
 *
 * @module
 */

import { percentile } from "./latency_client.ts";
import { answerJsonScript } from "./processes.ts";
import { postRequest, RawConnection } from "./raw_client.ts";

/** What to send, how, and for how long. */
export interface TurnsSpec {
  transport: "websocket" | "http";
  /** The gateway's base URL (`http://…`). */
  url: string;
  key: string;
  /** The turn: a `POST /v1/responses` body (sent over the socket as `response.create`). */
  body: Record<string, unknown>;
  clients: number;
  /** Turns to time per client (after `warmup` untimed ones). */
  count: number;
  warmup: number;
  maxSeconds: number;
}

/** What the client prints. */
export interface TurnsResult {
  turns: number;
  failures: number;
  turnsPerSecond: number;
  firstEventP50: number;
  firstEventP99: number;
  wholeP50: number;
  firstProblem?: string;
}

/** One timed turn: milliseconds to its first event and to its end, or what went wrong. */
type Timed = { firstMs: number; totalMs: number } | { problem: string };

/** A client that runs one turn at a time on its own connection. */
interface TurnClient {
  turn(): Promise<Timed>;
  close(): void;
}

async function measure(spec: TurnsSpec): Promise<TurnsResult> {
  const clients = await Promise.all(
    Array.from(
      { length: spec.clients },
      () => spec.transport === "websocket" ? SocketTurns.open(spec) : HttpTurns.open(spec),
    ),
  );
  for (const client of clients) {
    for (let i = 0; i < spec.warmup; i++) await client.turn();
  }
  const firsts: number[] = [];
  const wholes: number[] = [];
  let failures = 0;
  let firstProblem: string | undefined;
  const started = performance.now();
  const deadline = started + spec.maxSeconds * 1000;
  await Promise.all(clients.map(async (client) => {
    for (let i = 0; i < spec.count && performance.now() < deadline; i++) {
      const timed = await client.turn();
      if ("problem" in timed) {
        failures++;
        firstProblem ??= timed.problem;
        continue;
      }
      firsts.push(timed.firstMs);
      wholes.push(timed.totalMs);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  for (const client of clients) client.close();
  return {
    turns: wholes.length,
    failures,
    turnsPerSecond: wholes.length / elapsed,
    firstEventP50: percentile(firsts, 0.5),
    firstEventP99: percentile(firsts, 0.99),
    wholeP50: percentile(wholes, 0.5),
    firstProblem,
  };
}

/** Turns over one Responses WebSocket. */
class SocketTurns implements TurnClient {
  #onMessage: ((text: string) => void) | undefined;
  #closed = false;

  private constructor(private readonly socket: WebSocket, private readonly message: string) {
    socket.onmessage = (event) => this.#onMessage?.(String(event.data));
    socket.onclose = () => {
      this.#closed = true;
      this.#onMessage?.("");
    };
  }

  static async open(spec: TurnsSpec): Promise<SocketTurns> {
    // Deno's WebSocket takes handshake headers as its second argument.
    const init = { headers: { authorization: `Bearer ${spec.key}` } };
    const socket = new WebSocket(
      `${spec.url.replace(/^http/, "ws")}/v1/responses`,
      init as unknown as string[],
    );
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("the WebSocket handshake failed"));
    });
    socket.onerror = null;
    return new SocketTurns(socket, JSON.stringify({ type: "response.create", ...spec.body }));
  }

  turn(): Promise<Timed> {
    if (this.#closed) return Promise.resolve({ problem: "the connection closed" });
    return new Promise((resolve) => {
      const sent = performance.now();
      let first: number | undefined;
      this.#onMessage = (text) => {
        first ??= performance.now() - sent;
        if (text === "") return resolve({ problem: "the connection closed mid-turn" });
        // Only the last event is parsed: the others are counted by their arrival.
        if (!text.includes('"response.completed"') && !text.includes('"error"')) return;
        const type = JSON.parse(text).type;
        if (type === "response.completed") {
          resolve({ firstMs: first, totalMs: performance.now() - sent });
        } else if (type === "error") resolve({ problem: `error event: ${text.slice(0, 200)}` });
      };
      this.socket.send(this.message);
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Turns as `POST /v1/responses` with `stream: true` over one keep-alive connection. */
class HttpTurns implements TurnClient {
  readonly #decoder = new TextDecoder();

  private constructor(
    private connection: RawConnection,
    private readonly url: URL,
    private readonly request: Uint8Array,
  ) {}

  static async open(spec: TurnsSpec): Promise<HttpTurns> {
    const url = new URL(`${spec.url}/v1/responses`);
    const headers = {
      authorization: `Bearer ${spec.key}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    };
    const request = postRequest(url, headers, JSON.stringify({ ...spec.body, stream: true }));
    return new HttpTurns(await RawConnection.open(url, 16_384), url, request);
  }

  async turn(): Promise<Timed> {
    if (this.connection.closed) this.connection = await RawConnection.open(this.url, 16_384);
    const exchange = await this.connection.exchange(this.request);
    const body = this.#decoder.decode(exchange.body);
    if (exchange.status !== 200 || !body.includes("response.completed")) {
      return { problem: `status ${exchange.status}: ${body.slice(0, 200)}` };
    }
    return { firstMs: exchange.ttfbMs, totalMs: exchange.totalMs };
  }

  close(): void {
    this.connection.close();
  }
}

// Last: the classes above exist by the time it runs.
if (import.meta.main) await answerJsonScript(measure);
