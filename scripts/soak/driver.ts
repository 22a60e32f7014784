/**
 * The soak's load driver: lanes of concurrent client requests against the
 * running gateways, each request drawn from the seed (key, API, stream or not,
 * usage chunk asked for or not, a big prompt now and then), tagged with an id
 * (`idempotency-key`, a header the gateway forwards) the upstream records, and read to the end with a deadline.
 * Every response is checked for secrets as it is read.
 *
 * @module
 */

import type { Surface } from "./faults.ts";
import type { SoakKey, SoakPlan } from "./plan.ts";
import type { BodyVerdict, ClientRecord } from "./records.ts";
import { rngFor } from "./rng.ts";
import { verifyBody } from "./stream_check.ts";

/** Longest any one client exchange may take before it counts as never ending. */
export const CLIENT_TIMEOUT_MS = 90_000;

/** A gateway as the driver sees it (the orchestrator updates these). */
export interface GatewaySlot {
  index: number;
  incarnation: number;
  url: string;
  up: boolean;
}

/** What the driver needs. */
export interface DriverOptions {
  plan: SoakPlan;
  gateways: readonly GatewaySlot[];
  /** No request starts after this (epoch ms). */
  deadline: number;
  secrets: readonly string[];
  onSecret(where: string): void;
}

/** One drawn request. */
export interface DrawnRequest {
  id: string;
  n: number;
  key: SoakKey;
  surface: Surface;
  stream: boolean;
  includeUsage: boolean;
  /** Bytes of padding in the prompt (a big body now and then). */
  padding: number;
  /** Send the key as `x-api-key` instead of `Authorization: Bearer`. */
  xApiKey: boolean;
  /**
   * Write every field name with a JSON escape (`"m\u006fdel"`): the gateway must read
   * the body as the upstream does (its stream flag, its usage request, its model).
   */
  escaped: boolean;
}

/** Draws request `n` of the general load, or of the queue lanes. */
function drawRequest(plan: SoakPlan, n: number, queued: boolean): DrawnRequest {
  const rng = rngFor(plan.seed, "request", n);
  const key = queued
    ? plan.keys.find((candidate) => candidate.concurrency !== undefined)!
    : rng.weighted(plan.keys.filter((k) => k.weight > 0).map((k) => [k, k.weight] as const));
  const group = plan.groups.find((candidate) => candidate.id === key.group)!;
  const surface = rng.pick(group.surfaces);
  const stream = rng.chance(queued ? 0.85 : 0.7);
  return {
    id: `s${plan.seed}-${n}`,
    n,
    key,
    surface,
    stream,
    includeUsage: surface === "chat" && stream && rng.chance(0.5),
    padding: rng.chance(0.06) ? rng.int(70, 160) * 1024 : 0,
    xApiKey: surface === "messages" && rng.chance(0.5),
    escaped: rng.chance(0.2),
  };
}

/** Runs the load until the deadline; resolves with every request's record. */
export async function runLoad(options: DriverOptions): Promise<ClientRecord[]> {
  const { plan } = options;
  const records: ClientRecord[] = [];
  let next = 0;
  const lane = async (queued: boolean) => {
    while (Date.now() < options.deadline) {
      const request = drawRequest(plan, next++, queued);
      const gateway = pickGateway(options, request.key, request.n);
      if (!gateway) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      records.push(await send(options, gateway, request));
    }
  };
  await Promise.all([
    ...Array.from({ length: plan.lanes }, () => lane(false)),
    ...Array.from({ length: plan.queueLanes }, () => lane(true)),
  ]);
  return records;
}

/** The gateway for the `n`th request (or session) with `key`; none while all are down. */
export function pickGateway(
  options: DriverOptions,
  key: SoakKey,
  n: number,
): GatewaySlot | undefined {
  const up = options.gateways.filter((gateway) =>
    gateway.up && !(key.avoidKilled && gateway.index === options.plan.kill.gateway)
  );
  return up.length === 0 ? undefined : up[n % up.length];
}

const PATHS: Record<Surface, string> = {
  chat: "/v1/chat/completions",
  responses: "/v1/responses",
  messages: "/v1/messages",
};

/** The request body a client of this API would send. */
function requestBody(request: DrawnRequest): string {
  const prompt = `soak ${request.id} ${"p".repeat(request.padding)}`;
  const stream = request.stream ? { stream: true } : {};
  const json = request.escaped ? escapedJson : JSON.stringify;
  if (request.surface === "chat") {
    return json({
      model: "gpt-soak",
      messages: [{ role: "user", content: prompt }],
      ...stream,
      ...(request.includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
  }
  if (request.surface === "responses") {
    return json({ model: "gpt-soak", input: prompt, ...stream });
  }
  return json({
    model: "claude-soak",
    max_tokens: 256,
    messages: [{ role: "user", content: prompt }],
    ...stream,
  });
}

/** JSON with the first letter of every field name written as a `\u` escape. */
export function escapedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(escapedJson).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const fields = Object.entries(value).map(([key, item]) => {
    const first = `\\u${key.charCodeAt(0).toString(16).padStart(4, "0")}`;
    return `"${first}${JSON.stringify(key).slice(2)}:${escapedJson(item)}`;
  });
  return `{${fields.join(",")}}`;
}

async function send(
  options: DriverOptions,
  gateway: GatewaySlot,
  request: DrawnRequest,
): Promise<ClientRecord> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "idempotency-key": request.id,
  };
  if (request.xApiKey) headers["x-api-key"] = request.key.key;
  else headers.authorization = `Bearer ${request.key.key}`;
  if (request.surface === "messages") headers["anthropic-version"] = "2023-06-01";
  const record: ClientRecord = {
    id: request.id,
    n: request.n,
    key: request.key.id,
    surface: request.surface,
    stream: request.stream,
    includeUsage: request.includeUsage,
    gateway: gateway.index,
    incarnation: gateway.incarnation,
    sentAt: Date.now(),
    endedAt: 0,
    queued: false,
    timedOut: false,
    body: emptyBody(),
  };
  const signal = AbortSignal.timeout(CLIENT_TIMEOUT_MS);
  let text = "";
  try {
    const response = await fetch(`${gateway.url}${PATHS[request.surface]}`, {
      method: "POST",
      headers,
      body: requestBody(request),
      signal,
    });
    record.headersAt = Date.now();
    record.status = response.status;
    record.account = response.headers.get("x-switchyard-account") ?? undefined;
    record.queued = response.headers.get("x-switchyard-queued") === "true";
    scan(
      options,
      [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n"),
      request,
      "headers",
    );
    const read = await readBody(response);
    text = read.text;
    if (read.error !== undefined) record.failure = describe(read.error);
  } catch (error) {
    record.failure = describe(error);
  }
  record.timedOut = signal.aborted;
  record.endedAt = Date.now();
  scan(options, text, request, "body");
  if (record.status === 200) {
    record.body = verifyBody(request.surface, request.stream, request.includeUsage, text);
  }
  if (record.status !== 200 || record.body.errorEvent) record.excerpt = text.slice(0, 400);
  if (record.body.problems.length > 0) record.raw = text.slice(0, 64 * 1024);
  return record;
}

/** Reads a body to the end, keeping what arrived when it breaks. */
async function readBody(response: Response): Promise<{ text: string; error?: unknown }> {
  if (!response.body) return { text: "" };
  const decoder = new TextDecoder();
  let text = "";
  try {
    for await (const chunk of response.body) text += decoder.decode(chunk, { stream: true });
    return { text: text + decoder.decode() };
  } catch (error) {
    return { text, error };
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function scan(options: DriverOptions, text: string, request: DrawnRequest, part: string): void {
  for (const secret of options.secrets) {
    if (text.includes(secret)) options.onSecret(`response ${part} of ${request.id}`);
  }
}

export function emptyBody(): BodyVerdict {
  return { contentEvents: 0, terminal: false, errorEvent: false, usageSeen: false, problems: [] };
}
