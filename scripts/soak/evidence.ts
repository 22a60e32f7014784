/**
 * Joins what the driver saw with what the upstream saw: the attempts of each
 * request, the upstream response a client body came from, how each client
 * request ended (served, the client's own error, by design, or an error),
 * and what each served response should have been charged. Pure.
 *
 * @module
 */

import { blastKindOf } from "./faults.ts";
import type { Tokens } from "./formats.ts";
import type { SoakPlan } from "./plan.ts";
import type { Arrival, ClientRecord, RunNotes } from "./records.ts";

/** Everything a run produced. */
export interface Evidence {
  plan: SoakPlan;
  arrivals: Arrival[];
  clients: ClientRecord[];
  notes: RunNotes;
}

/** How a client request ended. */
export type Outcome =
  | "ok"
  | "own: key limit"
  | "own: queue timeout"
  | "own: drop after content"
  | "own: client closed mid-turn"
  | "by design: blast radius"
  | "gateway killed"
  | "error";

/** Lookups over the evidence. */
export class Index {
  readonly bySeq = new Map<number, Arrival>();
  /** Each request's arrivals in arrival order. */
  readonly attempts = new Map<string, Arrival[]>();
  readonly clients = new Map<string, ClientRecord>();

  constructor(readonly evidence: Evidence) {
    for (const arrival of [...evidence.arrivals].sort((a, b) => a.seq - b.seq)) {
      this.bySeq.set(arrival.seq, arrival);
      const list = this.attempts.get(arrival.id) ?? [];
      list.push(arrival);
      this.attempts.set(arrival.id, list);
    }
    for (const client of evidence.clients) this.clients.set(client.id, client);
  }

  attemptsOf(id: string): Arrival[] {
    return this.attempts.get(id) ?? [];
  }

  /** The upstream answer the client got: the one its body names, else the last attempt there. */
  serving(client: ClientRecord): Arrival | undefined {
    if (client.body.marker) return this.bySeq.get(Number(client.body.marker.slice(1)));
    const attempts = this.attemptsOf(client.id);
    const there = client.account
      ? attempts.filter((arrival) => arrival.account === client.account)
      : attempts;
    return there.at(-1);
  }
}

/**
 * Was this request cut by the SIGKILL of its gateway? A WebSocket turn too when it was sent
 * after the kill: its connection, opened before it, was already dead, but a busy client sends
 * on until it reads the close.
 */
export function killedBy(client: ClientRecord, notes: RunNotes): boolean {
  if (
    notes.killedAt === undefined || client.gateway !== notes.killedGateway ||
    client.incarnation !== 0
  ) {
    return false;
  }
  if (client.socket && client.failure !== undefined && client.endedAt >= notes.killedAt) {
    return true;
  }
  return client.sentAt <= notes.killedAt + 5 && client.endedAt >= notes.killedAt - 50;
}

/** A request that the gateway served in full. */
export function servedWhole(client: ClientRecord): boolean {
  return client.status === 200 && client.failure === undefined && !client.timedOut &&
    client.body.terminal && !client.body.errorEvent && client.body.problems.length === 0;
}

/** Classifies how a client request ended. */
export function outcomeOf(client: ClientRecord, index: Index): Outcome {
  if (servedWhole(client)) return "ok";
  if (killedBy(client, index.evidence.notes)) return "gateway killed";
  if (client.socket?.closedByClient && client.body.problems.length === 0) {
    return "own: client closed mid-turn";
  }
  const excerpt = client.excerpt ?? "";
  if (
    client.status === 429 && !client.account &&
    /requests per minute|tokens for today|budget of \$/.test(excerpt)
  ) {
    return "own: key limit";
  }
  if ((client.status === 429 || client.queued) && /concurrency limit/.test(excerpt)) {
    return "own: queue timeout";
  }
  const serving = index.serving(client);
  if (
    client.status === 200 && serving?.fault === "drop-after-content" && !client.body.terminal &&
    client.body.problems.length === 0
  ) {
    return "own: drop after content";
  }
  const failed = client.status !== undefined && (client.status >= 400 || client.body.errorEvent);
  if (failed && blastRadius(index.attemptsOf(client.id)).stopped) return "by design: blast radius";
  return "error";
}

/**
 * The blast-radius rule of the README replayed over one request's attempts:
 * which attempts' effects the gateway spares, and whether the rule stopped the
 * request (the client then gets that error although other accounts remain).
 * Duplicate arrivals at one account count once (the gateway saw the last).
 */
export function blastRadius(
  attempts: readonly Arrival[],
): { stopped: boolean; spared: Set<number> } {
  const spared = new Set<number>();
  const kinds = new Set<string>();
  let cooled = 0;
  const last = new Map<string, Arrival>();
  for (const arrival of attempts) last.set(arrival.account, arrival);
  const effective = [...last.values()].sort((a, b) => a.seq - b.seq);
  for (const arrival of effective) {
    const kind = blastKindOf(arrival.fault);
    if (kind === undefined) continue;
    if (cooled >= 2) {
      spared.add(arrival.seq);
      return { stopped: arrival === effective.at(-1), spared };
    }
    cooled++;
    if (kinds.has(kind)) return { stopped: arrival === effective.at(-1), spared };
    kinds.add(kind);
  }
  return { stopped: false, spared };
}

/**
 * The most the gateway may charge for a WebSocket turn whose client closed the connection
 * mid-turn: the client's close races the events still on their way to it, so the charge is
 * anything from nothing up to what its upstream sent: the usage report once it went out, an
 * Anthropic stream's `message_start` usage (input and cache tokens, which the gateway charges
 * for a stream cut before its report, also when it translates the stream for a Responses
 * turn), or the content it sent.
 */
export function closedChargeCeiling(serving: Arrival | undefined): Tokens | undefined {
  if (!serving || serving.status !== 200) return undefined;
  const reports = [serving.usage, serving.surface === "messages" ? serving.startUsage : undefined]
    .filter((report): report is Tokens => report !== undefined);
  const most = (field: keyof Tokens) => Math.max(0, ...reports.map((report) => report[field]));
  return {
    input: most("input"),
    output: Math.max(most("output"), serving.sentEvents),
    cached: most("cached"),
  };
}

/**
 * What the gateway must charge for the answer a client got (README, Usage
 * accounting): the usage report when the client got it whole, else for a cut
 * stream the content deltas streamed (Anthropic: `message_start` input plus
 * them), and nothing for errors or a JSON body cut short.
 */
export function chargeOf(client: ClientRecord, serving: Arrival | undefined): Tokens | undefined {
  if (client.status !== 200 || !serving || serving.status !== 200) return undefined;
  if (!serving.stream) return serving.completed && client.body.terminal ? serving.usage : undefined;
  if (serving.usage && client.body.terminal) return serving.usage;
  const deltas = client.body.contentEvents;
  if (serving.surface === "messages" && serving.startUsage) {
    const start = serving.startUsage;
    return { input: start.input, output: Math.max(start.output, deltas), cached: start.cached };
  }
  return deltas > 0 ? { input: 0, output: deltas, cached: 0 } : undefined;
}
