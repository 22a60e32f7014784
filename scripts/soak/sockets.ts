/**
 * The soak's Responses WebSocket sessions, as Codex CLI runs them: lanes of
 * sessions, each one connection to `/v1/responses` with a client key, now and
 * then a warm-up (`generate: false`), then a few `response.create` turns, each
 * after the first continuing from the last completed response
 * (`previous_response_id`, only its own new message as `input`). Now and then
 * the client closes the connection mid-turn. Every turn becomes a
 * `ClientRecord` (`socket` set), its events judged as the same stream over
 * HTTP would be; its prompt names it (`soak-turn:<id>`) for the upstream,
 * which sees only the connection's headers (none of them the soak's own).
 *
 * @module
 */

import {
  CLIENT_TIMEOUT_MS,
  describe,
  type DriverOptions,
  emptyBody,
  type GatewaySlot,
  pickGateway,
} from "./driver.ts";
import type { SoakKey, SoakPlan } from "./plan.ts";
import type { BodyVerdict, ClientRecord, SocketTurn } from "./records.ts";
import { rngFor } from "./rng.ts";
import { verifyBody } from "./stream_check.ts";

/** Events that end a turn. */
const TURN_ENDS = new Set([
  "response.completed",
  "response.failed",
  "response.incomplete",
  "error",
]);

/** One drawn session. */
interface DrawnSession {
  id: string;
  n: number;
  key: SoakKey;
  warmup: boolean;
  turns: number;
  /** The turn (0-based, warm-up not counted) whose first content makes the client close. */
  closeAt?: number;
}

function drawSession(plan: SoakPlan, n: number): DrawnSession {
  const rng = rngFor(plan.seed, "session", n);
  const id = rng.weighted(plan.sockets.keys.map(([key, weight]) => [key, weight] as const));
  const turns = rng.int(2, 6);
  return {
    id: `s${plan.seed}-w${n}`,
    n,
    key: plan.keys.find((key) => key.id === id)!,
    warmup: rng.chance(0.5),
    turns,
    ...(rng.chance(0.25) ? { closeAt: rng.int(0, turns - 1) } : {}),
  };
}

/** Runs the sessions until the deadline; resolves with every turn's record. */
export async function runSessions(options: DriverOptions): Promise<ClientRecord[]> {
  const records: ClientRecord[] = [];
  let next = 0;
  const lane = async () => {
    while (Date.now() < options.deadline) {
      const session = drawSession(options.plan, next++);
      const gateway = pickGateway(options, session.key, session.n);
      if (!gateway) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      await runSession(options, gateway, session, records);
    }
  };
  await Promise.all(Array.from({ length: options.plan.sockets.lanes }, lane));
  return records;
}

async function runSession(
  options: DriverOptions,
  gateway: GatewaySlot,
  session: DrawnSession,
  records: ClientRecord[],
): Promise<void> {
  const at = { gateway: gateway.index, incarnation: gateway.incarnation };
  const sentAt = Date.now();
  let socket: Connection;
  try {
    socket = await Connection.open(gateway.url, session, options);
  } catch (error) {
    // Counted as a turn that never started: an error unless the gateway was being killed.
    const record = turnRecord(session, `${session.id}-t0`, 0, at, false, emptyChain());
    record.sentAt = sentAt;
    record.endedAt = Date.now();
    record.failure = `handshake: ${describe(error)}`;
    records.push(record);
    return;
  }
  const chain = emptyChain();
  let previous: string | undefined;
  try {
    const total = session.turns + (session.warmup ? 1 : 0);
    for (let k = 0; k < total && Date.now() < options.deadline && socket.open; k++) {
      const warmup = session.warmup && k === 0;
      const id = `${session.id}-t${k}`;
      const record = turnRecord(session, id, k, at, warmup, {
        turns: [...chain.turns],
        responses: [...chain.responses],
      });
      const text = `soak-turn:${id} ${warmup ? "" : "go on"}`;
      socket.send({
        type: "response.create",
        model: "gpt-soak",
        store: false,
        ...(warmup ? { generate: false, input: [] } : {
          input: [{ type: "message", role: "user", content: [{ type: "input_text", text }] }],
        }),
        ...(previous ? { previous_response_id: previous } : {}),
      });
      const closeNow = session.closeAt !== undefined &&
        k - (session.warmup ? 1 : 0) === session.closeAt;
      const events = await socket.turn(record, closeNow);
      judge(record, events);
      records.push(record);
      const last = events.at(-1);
      if (last?.type === "response.completed" && !record.body.errorEvent) {
        const response = last.response as { id?: unknown } | undefined;
        if (typeof response?.id === "string") previous = response.id;
        if (!warmup) {
          chain.turns.push(id);
          if (record.body.marker) chain.responses.push(record.body.marker);
        }
      }
      if (record.socket!.closedByClient || record.failure) break;
    }
  } finally {
    socket.close();
  }
}

function emptyChain(): SocketTurn["chain"] {
  return { turns: [], responses: [] };
}

function turnRecord(
  session: DrawnSession,
  id: string,
  turn: number,
  at: { gateway: number; incarnation: number },
  warmup: boolean,
  chain: SocketTurn["chain"],
): ClientRecord {
  return {
    id,
    n: session.n,
    key: session.key.id,
    surface: "responses",
    stream: true,
    includeUsage: false,
    ...at,
    sentAt: Date.now(),
    endedAt: 0,
    queued: false,
    timedOut: false,
    body: emptyBody(),
    socket: { session: session.id, turn, warmup, chain, closedByClient: false },
  };
}

/** A turn's events judged as the same stream over HTTP: its status is its first event's. */
function judge(record: ClientRecord, events: Record<string, unknown>[]): void {
  const first = events[0];
  if (first === undefined) return;
  record.status = first.type === "error" ? Number(first.status ?? 500) : 200;
  const text = events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("");
  if (record.socket!.warmup) record.body = warmupVerdict(events);
  else if (record.status === 200) record.body = verifyBody("responses", true, false, text);
  if (record.status !== 200 || record.body.errorEvent) record.excerpt = text.slice(0, 400);
  if (record.body.problems.length > 0) record.raw = text.slice(0, 64 * 1024);
}

/** A warm-up is answered by the gateway: `response.created`, then an empty `response.completed`. */
function warmupVerdict(events: Record<string, unknown>[]): BodyVerdict {
  const verdict = emptyBody();
  const types = events.map((event) => String(event.type));
  verdict.terminal = types.at(-1) === "response.completed";
  verdict.errorEvent = types.includes("error");
  const output = (events.at(-1)?.response as { output?: unknown } | undefined)?.output;
  if (types.join(",") !== "response.created,response.completed" || !Array.isArray(output)) {
    verdict.problems.push(`a warm-up answered with ${types.join(", ")}`);
  } else if (output.length > 0) verdict.problems.push("a warm-up with output");
  return verdict;
}

/** One client connection, its messages read as they come. */
class Connection {
  readonly #messages: string[] = [];
  #read = 0;
  #wake: (() => void) | undefined;
  #closed: { code: number; reason: string } | undefined;

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: DriverOptions,
    private readonly session: string,
  ) {
    socket.onmessage = (event) => {
      const text = String(event.data);
      this.#scan(text, "message");
      this.#messages.push(text);
      this.#wake?.();
    };
    socket.onclose = (event) => {
      this.#closed = { code: event.code, reason: event.reason };
      this.#scan(event.reason, "close reason");
      this.#wake?.();
    };
  }

  static async open(url: string, session: DrawnSession, options: DriverOptions) {
    // Deno's WebSocket takes handshake headers as its second argument.
    const init = {
      headers: {
        authorization: `Bearer ${session.key.key}`,
        "openai-beta": "responses_websockets=2026-02-06",
        originator: "codex_exec",
      },
    };
    const socket = new WebSocket(
      `${url.replace(/^http/, "ws")}/v1/responses`,
      init as unknown as string[],
    );
    const connection = new Connection(socket, options, session.id);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no handshake within 10 s")), 10_000);
      socket.addEventListener("open", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
      socket.addEventListener("close", (event) => {
        clearTimeout(timer);
        reject(new Error(`refused (close ${event.code})`));
      }, { once: true });
    });
    return connection;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /**
   * Reads one turn's events up to its last. `closeMidTurn`: the client closes the connection
   * at the turn's first content event.
   */
  async turn(record: ClientRecord, closeMidTurn: boolean): Promise<Record<string, unknown>[]> {
    const events: Record<string, unknown>[] = [];
    const deadline = record.sentAt + CLIENT_TIMEOUT_MS;
    for (;;) {
      const text = await this.#next(deadline);
      if (text === undefined) {
        record.timedOut = this.#closed === undefined;
        record.failure = this.#closed
          ? `closed mid-turn (${this.#closed.code} ${this.#closed.reason})`.trim()
          : "no last event in time";
        break;
      }
      record.headersAt ??= Date.now();
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(text);
      } catch {
        event = { type: "unparsable", text: text.slice(0, 200) };
      }
      events.push(event);
      const type = String(event.type);
      if (TURN_ENDS.has(type)) break;
      if (closeMidTurn && type === "response.output_text.delta") {
        record.socket!.closedByClient = true;
        this.socket.close(1000, "done");
        break;
      }
    }
    record.endedAt = Date.now();
    return events;
  }

  close(): void {
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000, "done");
  }

  async #next(deadline: number): Promise<string | undefined> {
    while (this.#read >= this.#messages.length) {
      if (this.#closed || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#messages[this.#read++];
  }

  #scan(text: string, part: string): void {
    for (const secret of this.options.secrets) {
      if (text.includes(secret)) this.options.onSecret(`websocket ${part} of ${this.session}`);
    }
  }
}
