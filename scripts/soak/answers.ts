/**
 * How the fault upstream answers one request on one connection: a success in
 * the request's format (JSON or a stream written in pieces of random size,
 * with pauses, LF or CRLF), or the fault drawn for this request at this
 * account. Every answer is written into its `Arrival` record as it happens.
 *
 * @module
 */

import {
  applicableFault,
  cooldownFor,
  type CooldownSeconds,
  drawFault,
  type ExpectedEffect,
  type FaultKind,
} from "./faults.ts";
import {
  errorBody,
  normalised,
  preambleError,
  type RawUsage,
  type Sse,
  sseText,
  successJson,
  successStream,
} from "./formats.ts";
import { concat, LAST_CHUNK, type RequestHead, responseHead, type Wire } from "./http1.ts";
import { platformOf, type SoakAccount, type SoakPlan, surfaceOf } from "./plan.ts";
import type { Arrival } from "./records.ts";
import { type Rng, rngFor } from "./rng.ts";

const encoder = new TextEncoder();
/** Longest a hung exchange waits for the gateway to give up. */
const HANG_LIMIT_MS = 120_000;

/** What the upstream knows while answering. */
export interface AnswerContext {
  plan: SoakPlan;
  account: SoakAccount;
  /** Client keys and the admin token: none may reach an upstream. */
  clientSecrets: readonly string[];
  /** Arrivals so far of one request id at this account. */
  arrivals(id: string): number;
  record(arrival: Arrival): void;
  nextSeq(): number;
}

/**
 * Answers one request, the `onConnection`th its connection carried (0: the
 * first); false when the connection must not be reused.
 */
export async function answer(
  context: AnswerContext,
  wire: Wire,
  head: RequestHead,
  io: Rng,
  onConnection = 0,
): Promise<boolean> {
  const { plan, account } = context;
  // HTTP requests carry their id in `idempotency-key`. A WebSocket turn's headers are its
  // connection's (and the gateway forwards no header of the soak's own), so a turn names itself,
  // `<session>-t<k>`, in its prompt.
  const httpId = head.headers.get("idempotency-key") ?? undefined;
  const early = httpId === undefined ? await wire.body(head) : undefined;
  const history = early && conversationIn(early);
  const turn = history?.turns.at(-1);
  const session = turn === undefined ? undefined : turn.replace(/-t\d+$/, "");
  const id = httpId ?? turn ?? "";
  const nth = context.arrivals(id);
  const path = head.target.split("?")[0];
  const arrival: Arrival = {
    seq: context.nextSeq(),
    id,
    account: account.id,
    at: Date.now(),
    onConnection,
    path,
    surface: surfaceOf(path),
    stream: false,
    includeUsage: false,
    credentialOk: credentialOk(account, head),
    clientSecretSeen: [...head.headers.values()].some((value) =>
      context.clientSecrets.some((secret) => value.includes(secret))
    ),
    fault: drawFault(plan.seed, account.id, account.profile, id, nth),
    sentEvents: 0,
    completed: false,
    ...(session !== undefined ? { session, history } : {}),
  };
  context.record(arrival);
  const seconds = plan.failover.cooldownSeconds;
  const effect = (kind: FaultKind, announcedUntil?: number) => {
    arrival.signalAt ??= Date.now();
    arrival.effect = cooldownFor(kind, arrival.signalAt, seconds, announcedUntil);
  };

  if (arrival.fault === "reset") {
    // Close with the body (for a big one) still unread: the kernel answers with a reset.
    effect("reset");
    wire.close();
    arrival.endedAt = Date.now();
    return false;
  }
  const body = early ?? await wire.body(head);
  const request = parseBody(body);
  arrival.stream = request.stream;
  arrival.includeUsage = request.includeUsage;
  const surface = arrival.surface ?? "chat";
  arrival.fault = applicableFault(arrival.fault, surface, request.stream);
  const rng = rngFor(plan.seed, "answer", account.id, id, nth);
  const exchange: Exchange = { wire, io, arrival, seconds, passthrough: account.passthrough };

  try {
    switch (arrival.fault) {
      case "reset":
      case "close-before-answer":
        effect(arrival.fault);
        wire.close();
        return false;
      case "hang":
        effect("hang");
        await wire.closedByPeer(HANG_LIMIT_MS);
        wire.close();
        return false;
      case "ok":
      case "slow":
      case "drop-after-content":
      case "drop-before-content":
      case "error-before-content":
        return await success(exchange, rng, request.model, effect);
      default:
        return await failure(exchange, rng, effect);
    }
  } catch {
    arrival.peerGone = true;
    wire.close();
    return false;
  } finally {
    arrival.endedAt = Date.now();
  }
}

interface Exchange {
  wire: Wire;
  /** Randomness for byte splits and pauses (timing only; faults come from the seed). */
  io: Rng;
  arrival: Arrival;
  seconds: CooldownSeconds;
  passthrough: boolean;
}

type Effect = (kind: FaultKind, announcedUntil?: number) => void;

/** A 200 answer, whole or cut short on purpose. */
async function success(
  exchange: Exchange,
  rng: Rng,
  model: string,
  effect: Effect,
): Promise<boolean> {
  const { wire, io, arrival } = exchange;
  const surface = arrival.surface ?? "chat";
  const marker = `r${arrival.seq}`;
  const n = rng.int(3, 24);
  const raw: RawUsage = {
    input: rng.int(20, 800),
    output: n + rng.int(0, 40),
    cached: 0,
    cacheWrite: surface === "messages" ? rng.int(0, 200) : 0,
  };
  raw.cached = rng.int(0, Math.floor(raw.input / 2));
  arrival.status = 200;
  arrival.plannedEvents = n;
  const slow = arrival.fault === "slow";
  const closeAfter = io.chance(0.05);

  if (!arrival.stream) {
    if (slow) await pause(rng.int(300, 1500));
    const bytes = encoder.encode(JSON.stringify(successJson(surface, marker, n, model, raw)));
    if (arrival.fault === "drop-after-content") {
      // Headers and part of the body, then the connection goes.
      await wire.write(
        responseHead(200, [["content-type", "application/json"], [
          "content-length",
          `${bytes.length}`,
        ]]),
      );
      await wire.write(bytes.subarray(0, rng.int(1, bytes.length - 1)));
      wire.close();
      return false;
    }
    await writeBody(exchange, 200, [["content-type", "application/json"]], bytes, closeAfter);
    arrival.sentEvents = n;
    arrival.completed = true;
    arrival.usage = normalised(surface, raw);
    return !closeAfter;
  }

  const parts = successStream(surface, marker, n, model, raw, arrival.includeUsage);
  arrival.startUsage = parts.startUsage;
  const crlf = io.chance(0.5);
  const headers: [string, string][] = [
    ["content-type", "text/event-stream"],
    ["cache-control", "no-cache"],
    ["transfer-encoding", "chunked"],
  ];
  if (closeAfter) headers.push(["connection", "close"]);
  await wire.write(responseHead(200, headers));
  const send = (events: Sse[], content: boolean) =>
    sendEvents(exchange, events, crlf, content, slow);
  const open = () => parts.opening ? send([parts.opening], false) : Promise.resolve();

  await send(parts.preamble, false);
  if (arrival.fault === "drop-before-content") {
    effect("drop-before-content");
    wire.close();
    return false;
  }
  if (arrival.fault === "error-before-content") {
    const variant = rng.chance(0.5) ? "usage" : "overloaded";
    const resetIn = rng.int(1, 12);
    // Before the write: the gateway may read the event before this side reads its clock.
    arrival.signalAt = Date.now();
    await send([preambleError(surface, variant, resetIn)], false);
    const seconds = exchange.seconds;
    arrival.effect = variant === "overloaded"
      ? cooling("overloaded", arrival.signalAt + seconds.overloaded * 1000)
      : surface === "messages"
      ? cooling("rateLimited", arrival.signalAt + seconds.rateLimited * 1000)
      : cooling("announced", arrival.signalAt + resetIn * 1000);
    await wire.write(LAST_CHUNK);
    arrival.completed = true;
    return !closeAfter;
  }
  if (arrival.fault === "drop-after-content") {
    const k = rng.int(1, n - 1);
    await open();
    await send(parts.content.slice(0, k), true);
    wire.close();
    return false;
  }
  await open();
  await send(parts.content, true);
  for (const event of parts.tail) {
    // Once any of the report is out, a stream cut after it may be charged for it.
    const carriesUsage = event[1].includes('"usage"');
    await sendEvents(exchange, [event], crlf, false, slow, () => {
      if (carriesUsage) arrival.usage = parts.usage;
    });
  }
  await wire.write(LAST_CHUNK);
  arrival.completed = true;
  arrival.usage = parts.usage;
  if (closeAfter) wire.close();
  return !closeAfter;
}

/** An error status with its body. */
async function failure(exchange: Exchange, rng: Rng, effect: Effect): Promise<boolean> {
  const { arrival } = exchange;
  const platform = platformOf(arrival.surface ?? "chat");
  const now = Date.now();
  const json = (status: number, body: unknown, headers: [string, string][] = []) => ({
    status,
    headers: [["content-type", "application/json"], ...headers] as [string, string][],
    bytes: encoder.encode(JSON.stringify(body)),
  });
  let answer: { status: number; headers: [string, string][]; bytes: Uint8Array };
  let until: number | undefined;
  const kind = arrival.fault;
  switch (kind) {
    case "usage403-reset": {
      const seconds = rng.int(1, 15);
      const style = rng.int(0, 2);
      if (platform === "anthropic" || style === 0) {
        const at = Math.ceil((now + seconds * 1000) / 1000);
        until = at * 1000;
        answer = platform === "anthropic"
          ? json(
            403,
            errorBody(platform, "permission_error", "usage limit reached for your plan"),
            [
              ["anthropic-ratelimit-unified-status", "rejected"],
              ["anthropic-ratelimit-unified-reset", `${at}`],
            ],
          )
          : json(
            403,
            errorBody(platform, "usage_limit_reached", "The usage limit has been reached", {
              resets_at: at,
            }),
          );
      } else if (style === 1) {
        until = now + seconds * 1000;
        answer = json(
          403,
          errorBody(platform, "usage_limit_reached", "The usage limit has been reached", {
            resets_in_seconds: seconds,
          }),
        );
      } else {
        until = now + seconds * 1000;
        answer = json(403, errorBody(platform, "usage_limit_reached", "usage limit reached"), [
          ["x-codex-primary-used-percent", "100"],
          ["x-codex-primary-reset-after-seconds", `${seconds}`],
        ]);
      }
      break;
    }
    case "usage403-noreset":
      answer = json(403, errorBody(platform, "forbidden_error", "usage limit reached"));
      break;
    case "plain403":
      answer = json(403, errorBody(platform, "permission_error", "Request not allowed"));
      break;
    case "html403":
      answer = {
        status: 403,
        headers: [["content-type", "text/html"]],
        bytes: encoder.encode("<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>"),
      };
      break;
    case "429-retry-after": {
      const seconds = rng.int(1, 8);
      until = now + seconds * 1000;
      answer = json(429, errorBody(platform, "rate_limit_error", "Rate limit reached"), [
        ["retry-after", `${seconds}`],
      ]);
      break;
    }
    case "429-body-reset": {
      const seconds = rng.int(1, 8);
      if (rng.chance(0.5)) {
        const at = Math.ceil((now + seconds * 1000) / 1000);
        until = at * 1000;
        answer = json(
          429,
          errorBody(platform, "rate_limit_error", "Rate limit", { resets_at: at }),
        );
      } else {
        until = now + seconds * 1000;
        answer = json(
          429,
          errorBody(platform, "rate_limit_error", "Rate limit", { resets_in_seconds: seconds }),
        );
      }
      break;
    }
    case "529":
      answer = json(529, errorBody(platform, "overloaded_error", "Overloaded"));
      break;
    case "500":
      answer = json(500, errorBody(platform, "server_error", "internal error"));
      break;
    case "502":
    case "503":
      answer = {
        status: Number(kind),
        headers: [["content-type", "text/html"]],
        bytes: encoder.encode(`<html><body>${kind} upstream trouble</body></html>`),
      };
      break;
    case "401":
      answer = json(401, errorBody(platform, "authentication_error", "invalid x-api-key"));
      break;
    case "402":
      answer = json(402, errorBody(platform, "billing_error", "payment required"));
      break;
    default: {
      // big-error: a body well over the 64 KiB the gateway classifies.
      const status = exchange.passthrough || rng.chance(0.5) ? 429 : 503;
      const padding = "x".repeat(rng.int(70, 200) * 1024);
      answer = json(status, errorBody(platform, "padded_error", `big ${padding}`));
      arrival.status = status;
      arrival.signalAt = now;
      arrival.effect = status === 429
        ? cooling("rateLimited", now + exchange.seconds.rateLimited * 1000)
        : cooling("serverError", now + exchange.seconds.serverError * 1000);
    }
  }
  arrival.status = answer.status;
  arrival.signalAt = now;
  if (kind !== "big-error") effect(kind, until);
  const closeAfter = exchange.io.chance(0.05);
  await writeBody(exchange, answer.status, answer.headers, answer.bytes, closeAfter);
  arrival.completed = true;
  return !closeAfter;
}

/** A body with Content-Length, or chunked in random pieces. */
async function writeBody(
  exchange: Exchange,
  status: number,
  headers: [string, string][],
  bytes: Uint8Array,
  closeAfter: boolean,
): Promise<void> {
  const { wire, io } = exchange;
  const all = [...headers];
  if (closeAfter) all.push(["connection", "close"]);
  if (bytes.length < 64 * 1024 && io.chance(0.6)) {
    all.push(["content-length", `${bytes.length}`]);
    await wire.write(concat([encoder.encode(responseHead(status, all)), bytes]));
  } else {
    all.push(["transfer-encoding", "chunked"]);
    await wire.write(responseHead(status, all));
    for (const piece of pieces(io, bytes, 16 * 1024)) {
      await wire.chunk(piece);
      if (io.chance(0.2)) await pause(io.int(1, 5));
    }
    await wire.write(LAST_CHUNK);
  }
  if (closeAfter) wire.close();
}

/**
 * Writes events as chunks split at random bytes (mid-line, mid-character),
 * counting a content event as sent once the connection has taken the first
 * byte ending its data line: the gateway counts a delta per complete data
 * line, so a stream cut before the event's blank line may still be charged
 * for it. `started` hears when the connection took an event's first byte.
 * Slow streams pause between events.
 */
async function sendEvents(
  exchange: Exchange,
  events: Sse[],
  crlf: boolean,
  content: boolean,
  slowly: boolean,
  started?: () => void,
): Promise<void> {
  const { wire, io, arrival } = exchange;
  for (const event of events) {
    const bytes = encoder.encode(sseText([event], crlf));
    // Bytes of the event up to and including the first byte of its data line's ending.
    let untilCounted = content ? dataLineEnd(bytes, crlf) : Infinity;
    let first = true;
    for (const piece of pieces(io, bytes, 400)) {
      // Where the piece's data starts on the wire (after its chunk-size line).
      const dataAt = wire.sent + piece.length.toString(16).length + 2;
      try {
        await wire.chunk(piece);
      } finally {
        if (first && wire.sent > dataAt) started?.();
        first = false;
        // Also when the write failed part-way: the bytes the connection took may hold the line end.
        if (untilCounted <= piece.length && wire.sent - dataAt >= untilCounted) {
          arrival.sentEvents++;
          untilCounted = Infinity;
        } else untilCounted -= piece.length;
      }
      if (io.chance(0.25)) await pause(io.int(1, 12));
    }
    if (slowly) await pause(io.int(50, 250));
  }
}

/** How many bytes of one event's text run up to and including the first byte ending its data line. */
function dataLineEnd(bytes: Uint8Array, crlf: boolean): number {
  const nl = crlf ? 2 : 1;
  return bytes.length - 2 * nl + 1;
}

/** Splits bytes into pieces: often tiny (splitting lines and characters), sometimes large. */
function pieces(rng: Rng, bytes: Uint8Array, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = rng.chance(0.4) ? rng.int(1, 12) : rng.int(13, max);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

function cooling(reason: string, until: number): ExpectedEffect {
  return { kind: "cooldown", reason, until };
}

function credentialOk(account: SoakAccount, head: RequestHead): boolean {
  return account.platform === "openai"
    ? head.headers.get("authorization") === `Bearer ${account.apiKey}`
    : head.headers.get("x-api-key") === account.apiKey;
}

function parseBody(body: Uint8Array): { stream: boolean; includeUsage: boolean; model: string } {
  try {
    const json = JSON.parse(new TextDecoder().decode(body));
    return {
      stream: json.stream === true,
      includeUsage: json.stream_options?.include_usage === true,
      model: typeof json.model === "string" ? json.model : "unknown",
    };
  } catch {
    return { stream: false, includeUsage: false, model: "unknown" };
  }
}

/** A WebSocket turn's prompt names it; the conversation sent with it names the earlier ones. */
const TURN_NAME = /soak-turn:([A-Za-z0-9-]+)/g;
const RESPONSE_MARK = /\[(r\d+):\d+\]/g;

/**
 * The conversation a WebSocket turn's request carries, in order: the turns whose prompts it
 * holds (its own last) and the responses whose output it holds. Any request format.
 */
export function conversationIn(body: Uint8Array): { turns: string[]; responses: string[] } {
  const text = new TextDecoder().decode(body);
  const distinct = (names: string[]) => [...new Set(names)];
  return {
    turns: distinct([...text.matchAll(TURN_NAME)].map((match) => match[1])),
    responses: distinct([...text.matchAll(RESPONSE_MARK)].map((match) => match[1])),
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
