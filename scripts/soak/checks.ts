/**
 * The soak's invariants, each a pure function of the run's evidence that
 * returns a row: name, passed or not, and a detail line (counts, and the
 * first few counterexamples with their request ids, so a failure can be
 * looked up and replayed with the same seed).
 *
 * @module
 */

import {
  blastRadius,
  chargeOf,
  closedChargeCeiling,
  type Evidence,
  Index,
  killedBy,
  type Outcome,
  outcomeOf,
} from "./evidence.ts";
import type { Tokens } from "./formats.ts";
import {
  excusedByFault,
  excusedByWatch,
  faultWindows,
  kvChecks,
  minuteInFault,
  unexplainedDegraded,
  WATCH_DELIVERY_MS,
  WATCH_REOPEN_MS,
} from "./kv_checks.ts";
import { moneyChecks } from "./money.ts";
import type { Arrival, ClientRecord, UsageTotals } from "./records.ts";
import { socketConversations } from "./socket_checks.ts";

/** One row of the report. */
export interface Row {
  name: string;
  ok: boolean;
  detail: string;
}

/** Counterexamples shown per row. */
const EXAMPLES = 3;

/** Every invariant, in the order of the issue. */
export function checkAll(evidence: Evidence): Row[] {
  const index = new Index(evidence);
  return [
    noClientErrors(index),
    streamsWhole(index),
    usageExact(index),
    cooldownsHonoured(index),
    noDuplicateAttempts(index),
    healthAnswers(evidence),
    noCrashes(index),
    memoryPlateaus(evidence),
    noSecrets(evidence),
    credentialsRight(evidence),
    rpmHeld(index),
    dailyTokensHeld(index),
    socketConversations(index),
    ...moneyChecks(index),
    ...kvChecks(index),
  ];
}

/** WebSocket turns among `clients` (warm-ups, answered by the gateway, not counted). */
function socketTurns(clients: readonly ClientRecord[]): number {
  return clients.filter((client) => client.socket && !client.socket.warmup).length;
}

/** Counts of client outcomes. */
export function outcomes(index: Index): Map<Outcome, ClientRecord[]> {
  const byOutcome = new Map<Outcome, ClientRecord[]>();
  for (const client of index.evidence.clients) {
    const outcome = outcomeOf(client, index);
    byOutcome.set(outcome, [...byOutcome.get(outcome) ?? [], client]);
  }
  return byOutcome;
}

function noClientErrors(index: Index): Row {
  const byOutcome = outcomes(index);
  const errors = byOutcome.get("error") ?? [];
  const counts = [...byOutcome].map(([outcome, list]) => `${outcome} ${list.length}`).join(", ");
  const examples = errors.slice(0, EXAMPLES).map((client) => describeClient(client, index));
  const turns = socketTurns(index.evidence.clients);
  const turnErrors = socketTurns(errors);
  return {
    name: "no client error while a healthy account is in the group",
    ok: errors.length === 0,
    detail: `${counts} (${turns} WebSocket turns among them, ${turnErrors} errors)` +
      `${examples.length ? `; e.g. ${examples.join("; ")}` : ""}`,
  };
}

function streamsWhole(index: Index): Row {
  const problems: string[] = [];
  let checked = 0;
  for (const client of index.evidence.clients) {
    if (client.status !== 200) {
      if (client.timedOut) problems.push(`${client.id} never answered`);
      continue;
    }
    checked++;
    const killed = killedBy(client, index.evidence.notes);
    const serving = client.body.marker
      ? index.bySeq.get(Number(client.body.marker.slice(1)))
      : undefined;
    const say = (what: string) => problems.push(`${client.id}: ${what}`);
    if (client.timedOut) say("never ended");
    for (const problem of client.body.problems) say(problem);
    if (client.body.marker && !serving) say(`names unknown response ${client.body.marker}`);
    if (serving && serving.id !== client.id) {
      say(`carries ${serving.id}'s response ${client.body.marker}`);
    }
    if (serving && client.account && serving.account !== client.account) {
      say(`x-switchyard-account ${client.account} but the body came from ${serving.account}`);
    }
    if (client.body.terminal && serving?.plannedEvents !== undefined) {
      if (client.body.contentEvents !== serving.plannedEvents) {
        say(
          `${client.body.contentEvents} of ${serving.plannedEvents} content events, then the end`,
        );
      }
    }
    const ended = client.body.terminal || client.body.errorEvent ||
      client.failure !== undefined || client.socket?.closedByClient === true;
    if (!ended && !client.timedOut) say("ended cleanly without its terminal event");
    if (client.failure && serving?.completed && !killed) {
      say(`cut (${client.failure}) though its upstream answer was whole`);
    }
  }
  return {
    name: "no spliced stream; every stream ends",
    ok: problems.length === 0,
    detail:
      `${checked} bodies of 200 answers checked (${
        socketTurns(index.evidence.clients.filter((client) => client.status === 200))
      } of them WebSocket turns, each turn's events apart)` +
      (problems.length
        ? `; ${problems.length} problems, e.g. ${problems.slice(0, EXAMPLES).join("; ")}`
        : ""),
  };
}

/**
 * Usage that must be recorded, the part the killed gateway may have lost, and the part that
 * may or may not be charged (WebSocket turns the client closed mid-turn).
 */
interface Expected {
  all: Totals;
  atRisk: Totals;
  open: Totals;
}

type Totals = Tokens & { requests: number };

/** What each key and account should have been charged. */
function expectedUsage(index: Index, windowMs: number): Map<string, Expected> {
  const { notes } = index.evidence;
  const expected = new Map<string, Expected>();
  for (const client of index.evidence.clients) {
    const closed = client.socket?.closedByClient === true;
    const charge = closed
      ? closedChargeCeiling(index.serving(client))
      : chargeOf(client, index.serving(client));
    if (!charge) continue;
    const account = index.serving(client)!.account;
    const risky = notes.killedAt !== undefined && client.gateway === notes.killedGateway &&
      client.incarnation === 0 && client.endedAt >= notes.killedAt - windowMs;
    for (const id of [`key:${client.key}`, `account:${account}`]) {
      const entry = expected.get(id) ?? { all: zero(), atRisk: zero(), open: zero() };
      add(entry.all, charge);
      if (risky) add(entry.atRisk, charge);
      else if (closed) add(entry.open, charge);
      expected.set(id, entry);
    }
  }
  return expected;
}

function usageExact(index: Index): Row {
  const { notes, plan } = index.evidence;
  const expected = expectedUsage(index, plan.killUsageWindowMs);
  const recorded = new Map<string, UsageTotals>();
  for (const row of notes.usageByKey) recorded.set(`key:${row.id}`, row);
  for (const row of notes.usageByAccount) recorded.set(`account:${row.id}`, row);
  const mismatches: string[] = [];
  let lost = 0;
  let risk = 0;
  for (const id of new Set([...expected.keys(), ...recorded.keys()])) {
    const want = expected.get(id) ?? { all: zero(), atRisk: zero(), open: zero() };
    const got = recorded.get(id) ?? { id, ...zero() };
    const fields = ["input", "output", "cached", "requests"] as const;
    const least = (field: (typeof fields)[number]) =>
      want.all[field] - want.atRisk[field] - want.open[field];
    const bad = fields.filter((field) => got[field] > want.all[field] || got[field] < least(field));
    if (bad.length) {
      mismatches.push(
        `${id} ${
          bad.map((field) =>
            `${field} ${got[field]} (expected ${want.all[field]}` +
            (least(field) < want.all[field] ? `, at least ${least(field)}` : "") + ")"
          ).join(", ")
        }`,
      );
    }
    if (id.startsWith("key:")) {
      lost += want.all.input + want.all.output - got.input - got.output;
      risk += want.atRisk.input + want.atRisk.output;
    }
  }
  const closedTurns = index.evidence.clients.filter((client) => client.socket?.closedByClient)
    .length;
  const totals = [...expected].filter(([id]) => id.startsWith("key:"))
    .reduce((sum, [, entry]) => sum + entry.all.input + entry.all.output, 0);
  return {
    name: "usage recorded = usage served (killed process: at most its last flush lost)",
    ok: mismatches.length === 0,
    detail:
      `${totals} tokens served (${
        socketTurns(index.evidence.clients.filter((client) => client.status === 200))
      } WebSocket turns; ${closedTurns} closed by their client mid-turn, charged at most what ` +
      `their upstream sent); killed gateway lost ${Math.max(0, lost)} of ${risk} at risk` +
      (mismatches.length
        ? `; ${mismatches.length} mismatches: ${mismatches.slice(0, 4).join("; ")}`
        : "; exact"),
  };
}

/** A cooldown known to be in KV from `from` (epoch ms) until at least `until`. */
interface Window {
  account: string;
  from: number;
  until: number;
  signalAt: number;
  source: Arrival;
}

/**
 * The rule: an answer that must cool its account (README table) is in KV at
 * the latest when its client gets response headers, or its request ends (the
 * gateway awaits the write before answering; the request's next attempt does
 * not wait for it, the write goes on while the next account is tried). Its `until` is at least the upstream's answer time plus the
 * cooldown (the gateway's clock reads later). A request the client sent
 * after that point must not reach the account before `until`, unless the
 * soak's operator reset the account after the answer. Spared blast-radius
 * answers and attempts that reached the upstream twice prove nothing and are
 * skipped.
 */
export function cooldownWindows(index: Index): Window[] {
  const { plan } = index.evidence;
  const windows: Window[] = [];
  for (const [id, attempts] of index.attempts) {
    const client = index.clients.get(id);
    const { spared } = blastRadius(attempts);
    const seen = new Map<string, number>();
    for (const arrival of attempts) seen.set(arrival.account, (seen.get(arrival.account) ?? 0) + 1);
    attempts.forEach((arrival) => {
      if (!arrival.effect || spared.has(arrival.seq) || seen.get(arrival.account)! > 1) return;
      let from = Infinity;
      if (client?.status !== undefined) {
        if (client.headersAt !== undefined && !client.queued) {
          from = Math.min(from, client.headersAt);
        }
        from = Math.min(from, client.endedAt);
      }
      if (!Number.isFinite(from)) return;
      let until = arrival.effect.kind === "disable" ? Infinity : arrival.effect.until;
      if (arrival.fault === "hang" && client) {
        // The gateway's headers timer started after the client sent the request.
        const { headersTimeoutSeconds, cooldownSeconds } = plan.failover;
        until = Math.max(
          until,
          client.sentAt + (headersTimeoutSeconds + cooldownSeconds.unreachable) * 1000,
        );
      }
      windows.push({
        account: arrival.account,
        from,
        until,
        signalAt: arrival.signalAt ?? arrival.at,
        source: arrival,
      });
    });
  }
  return windows.sort((a, b) => a.from - b.from);
}

function cooldownsHonoured(index: Index): Row {
  const { notes } = index.evidence;
  const windows = cooldownWindows(index);
  const byAccount = new Map<string, Window[]>();
  for (const window of windows) {
    byAccount.set(window.account, [...byAccount.get(window.account) ?? [], window]);
  }
  const violations: string[] = [];
  // On a remote KV with faults thrown: arrivals at another process during a fault are excused.
  const faults = faultWindows(notes);
  const excused = new Map<string, number>();
  let longestWatchGap = 0;
  for (const arrival of index.evidence.arrivals) {
    const client = index.clients.get(arrival.id);
    if (!client) continue;
    for (const window of byAccount.get(arrival.account) ?? []) {
      if (window.from >= client.sentAt) break;
      if (window.source.id === arrival.id || arrival.at >= window.until) continue;
      // A reset that may have landed between the answer and this arrival ends the cooldown.
      const reset = notes.resets.some((r) =>
        r.account === arrival.account && r.to > window.signalAt && r.from < arrival.at
      );
      if (reset) continue;
      const writer = index.clients.get(window.source.id);
      const sameProcess = writer !== undefined && writer.gateway === client.gateway &&
        writer.incarnation === client.incarnation;
      if (excusedByWatch(window.from, arrival.at, sameProcess, notes.kv.kind)) {
        excused.set("watch delivery", (excused.get("watch delivery") ?? 0) + 1);
        longestWatchGap = Math.max(longestWatchGap, arrival.at - window.from);
        break;
      }
      const fault = excusedByFault(window.from, arrival.at, sameProcess, faults);
      if (fault) {
        excused.set(fault.what, (excused.get(fault.what) ?? 0) + 1);
        break;
      }
      const t = (ms: number) => `+${((ms - notes.startedAt) / 1000).toFixed(2)}s`;
      violations.push(
        `${arrival.account} got ${arrival.id} at ${t(arrival.at)} (sent ${
          t(client.sentAt)
        }) inside the ` +
          `${window.source.fault} cooldown from ${window.source.id} (answered ${
            t(window.signalAt)
          }, in KV by ` +
          `${t(window.from)}, until ${Number.isFinite(window.until) ? t(window.until) : "reset"})`,
      );
      break;
    }
  }
  return {
    name: "no request inside a cooldown written before it arrived",
    ok: violations.length === 0,
    detail:
      `${windows.length} cooldowns checked against ${index.evidence.arrivals.length} arrivals` +
      (notes.kv.kind !== "file" ? excusedDetail(excused, longestWatchGap) : "") +
      (violations.length
        ? `; ${violations.length} violations, e.g. ${violations.slice(0, EXAMPLES).join("; ")}`
        : ""),
  };
}

function excusedDetail(excused: Map<string, number>, longestWatchGap: number): string {
  const total = [...excused.values()].reduce((sum, count) => sum + count, 0);
  const byFault = [...excused].map(([what, count]) =>
    `${count} by the ${what}${
      what === "watch delivery" ? ` (the latest ${longestWatchGap} ms after the landing)` : ""
    }`
  ).join(", ");
  return `; ${total} arrivals excused (at another process than the writer, within ` +
    `${WATCH_DELIVERY_MS} ms of the cooldown's landing for its watch stream to deliver it, or ` +
    `with a KV fault in force between the landing, less ${WATCH_REOPEN_MS} ms for the watch ` +
    `stream to reopen, and the arrival)${total ? `: ${byFault}` : ""}`;
}

/** Faults that close the connection before any response byte: the gateway may try once more. */
const CLOSED_UNANSWERED = new Set<Arrival["fault"]>(["reset", "close-before-answer"]);

/**
 * The gateway's one re-send: a request whose connection closed before any
 * response byte (it may have been a stale keep-alive one) goes again, once,
 * on a fresh connection.
 */
export function isStaleRetry(list: readonly Arrival[]): boolean {
  return list.length === 2 && CLOSED_UNANSWERED.has(list[0].fault) && list[1].onConnection === 0;
}

export function noDuplicateAttempts(index: Index): Row {
  const seen = new Map<string, Arrival[]>();
  for (const arrival of index.evidence.arrivals) {
    const pair = `${arrival.id}|${arrival.account}`;
    seen.set(pair, [...seen.get(pair) ?? [], arrival]);
  }
  const again = [...seen.values()].filter((list) => list.length > 1);
  const retried = again.filter(isStaleRetry).length;
  const twice = again.filter((list) => !isStaleRetry(list));
  const missing = index.evidence.arrivals.filter((arrival) => arrival.id === "").length;
  const byFault = new Map<string, number>();
  for (const list of twice) byFault.set(list[0].fault, (byFault.get(list[0].fault) ?? 0) + 1);
  const examples = twice.slice(0, EXAMPLES).map((list) =>
    `${list[0].id} at ${list[0].account} ${list.length}x (first answer: ${list[0].fault})`
  );
  const staleLogged =
    index.evidence.notes.logs.filter((line) => line.includes('"stale-connection"')).length;
  return {
    name: "no attempt reaches an upstream twice",
    ok: twice.length === 0 && missing === 0,
    detail:
      `${seen.size} (request, account) attempts (${
        [...seen.values()].filter((list) => list[0].session !== undefined).length
      } of WebSocket turns); ${retried} sent again on a fresh ` +
      `connection after a close before any answer; ${index.evidence.notes.raced} closed unread ` +
      `by an idle close; ${staleLogged} log lines with a stale-connection retry` +
      (twice.length
        ? `; ${twice.length} reached it twice, after ${
          [...byFault].map(([f, n]) => `${f} ${n}`).join(", ")
        }; e.g. ${examples.join("; ")}`
        : "") +
      (missing ? `; ${missing} arrivals without a request id` : ""),
  };
}

function healthAnswers({ notes }: Evidence): Row {
  // A degraded answer is right while the KV is faulty (`kv_checks.ts`), wrong otherwise.
  const failures = [...notes.health.failures, ...unexplainedDegraded(notes)];
  return {
    name: "/healthz answers throughout",
    ok: failures.length === 0 && notes.health.checks > 0,
    detail: `${notes.health.checks} probes, ${failures.length} failed` +
      (failures.length ? `: ${failures.slice(0, EXAMPLES).join("; ")}` : ""),
  };
}

/** Lines that mean a process hit something it did not handle. */
const CRASH_LINE = /unhandled|panicked|uncaught|internal gateway error/i;
/**
 * `main.ts` logs a response body that broke mid-stream as a warning
 * (`Deno.serve` hands body errors to `onError`): one per stream an upstream cut.
 */
const BODY_BROKE = /"level":"warn","msg":"answer broke off mid-body"/;

function noCrashes(index: Index): Row {
  const { notes, clients } = index.evidence;
  const cut =
    clients.filter((client) =>
      client.status !== undefined && client.failure !== undefined && !killedBy(client, notes)
    ).length;
  const bodyBroke = notes.stderrLines.filter((line) => BODY_BROKE.test(line)).length;
  const crashLines = notes.stderrLines.filter((line) =>
    CRASH_LINE.test(line) && !BODY_BROKE.test(line)
  );
  // Counted, not judged: a stream cut just before the SIGKILL is logged but counts as killed.
  const problems = [...notes.processProblems, ...crashLines];
  return {
    name: "no process crashes",
    ok: problems.length === 0,
    detail:
      `${notes.stderrLines.length} stderr lines from gateways, ${bodyBroke} of them warnings ` +
      `of an answer cut mid-body (${cut} cut answers seen by clients)` +
      (problems.length ? `; ${problems.slice(0, EXAMPLES).join("; ")}` : ""),
  };
}

/** Memory plateaus: the last third's peak at most this much above the middle third's. */
const MEMORY_MARGIN = { ratio: 0.1, kib: 16 * 1024 };

/**
 * Checks one process's RSS samples; `undefined` when there are too few to
 * judge: fewer than 9, or fewer than `minSamples` (a process that lived for
 * less than half the run, like the one killed mid-run, is still warming up).
 */
export function plateaus(
  samplesKiB: readonly number[],
  minSamples = 9,
): { ok: boolean; middle: number; last: number } | undefined {
  if (samplesKiB.length < Math.max(9, minSamples)) return undefined;
  const third = Math.floor(samplesKiB.length / 3);
  const middle = Math.max(...samplesKiB.slice(third, 2 * third));
  const last = Math.max(...samplesKiB.slice(2 * third));
  return { ok: last <= middle * (1 + MEMORY_MARGIN.ratio) + MEMORY_MARGIN.kib, middle, last };
}

function memoryPlateaus({ notes }: Evidence): Row {
  const longest = Math.max(0, ...notes.memory.map((series) => series.samplesKiB.length));
  const judged = notes.memory.map((series) => ({
    name: series.name,
    verdict: plateaus(series.samplesKiB, Math.ceil(longest / 2)),
  }));
  const parts = judged.map(({ name, verdict }) =>
    verdict
      ? `${name} ${(verdict.middle / 1024).toFixed(0)}→${(verdict.last / 1024).toFixed(0)} MiB${
        verdict.ok ? "" : " (grew)"
      }`
      : `${name} too short`
  );
  const judgedCount = judged.filter(({ verdict }) => verdict).length;
  return {
    name: "memory plateaus",
    ok: judgedCount > 0 && judged.every(({ verdict }) => verdict?.ok ?? true),
    detail: `peak RSS middle→last third: ${parts.join(", ")}`,
  };
}

function noSecrets({ notes }: Evidence): Row {
  return {
    name: "no secret in any log line or response",
    ok: notes.secretFindings.length === 0,
    detail: notes.secretFindings.length
      ? `${notes.secretFindings.length} found: ${
        notes.secretFindings.slice(0, EXAMPLES).join("; ")
      }`
      : "every gateway log line, client response, WebSocket message and close reason, and " +
        "admin answer scanned",
  };
}

function credentialsRight({ arrivals }: Evidence): Row {
  const wrong = arrivals.filter((arrival) => !arrival.credentialOk);
  const leaked = arrivals.filter((arrival) => arrival.clientSecretSeen);
  return {
    name: "each attempt carries its own account's credential, never a client key",
    ok: wrong.length === 0 && leaked.length === 0,
    detail:
      `${arrivals.length} arrivals (${
        arrivals.filter((arrival) => arrival.session !== undefined).length
      } of WebSocket turns); ${wrong.length} with a wrong credential, ${leaked.length} with a client secret` +
      (wrong.length ? `, e.g. ${wrong[0].id} at ${wrong[0].account}` : ""),
  };
}

function rpmHeld(index: Index): Row {
  const { plan } = index.evidence;
  const key = plan.keys.find((candidate) => candidate.rpm !== undefined)!;
  const perMinute = new Map<number, number>();
  const processes = new Map<number, Set<string>>();
  let refused = 0;
  let uncertain = 0;
  let turns = 0;
  for (const client of index.evidence.clients) {
    if (client.key !== key.id) continue;
    // A warm-up is answered by the gateway itself: no request, nothing to admit.
    if (client.socket?.warmup) continue;
    if (client.socket) turns++;
    if (client.status === 429 && /requests per minute/.test(client.excerpt ?? "")) {
      refused++;
      continue;
    }
    // Admitted between sending and the first upstream attempt (or the answer).
    const admittedBy = index.attemptsOf(client.id)[0]?.at ?? client.headersAt;
    if (client.status === undefined || admittedBy === undefined) {
      uncertain++;
      continue;
    }
    const minute = Math.floor(client.sentAt / 60_000);
    if (minute !== Math.floor(admittedBy / 60_000)) {
      uncertain++;
      continue;
    }
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    const admitters = processes.get(minute) ?? new Set<string>();
    processes.set(minute, admitters.add(`${client.gateway}.${client.incarnation}`));
  }
  // During a KV fault rpm is counted per process (docs/kv-outages.md): a minute that
  // overlaps one may admit rpm per process that admitted in it.
  const faults = faultWindows(index.evidence.notes);
  const boundOf = (minute: number) =>
    minuteInFault(minute * 60_000, faults)
      ? key.rpm! * Math.max(1, processes.get(minute)?.size ?? 0)
      : key.rpm!;
  const over = [...perMinute].filter(([minute, count]) => count > boundOf(minute));
  const counts = [...perMinute].map(([minute, count]) =>
    !minuteInFault(minute * 60_000, faults)
      ? `${count}`
      : `${count} (of at most ${boundOf(minute)}: a KV ` +
        `fault in the minute, ${processes.get(minute)!.size} processes × rpm ${key.rpm})`
  );
  return {
    name: "rpm never exceeded",
    ok: over.length === 0 && refused > 0,
    detail: `${key.id} rpm ${key.rpm}: admitted per UTC minute ${counts.join(", ") || "none"} ` +
      `(${uncertain} straddling or unknown), ${refused} refused; ${turns} WebSocket turns ` +
      `among them (warm-ups, answered by the gateway, not counted)` +
      (refused === 0 ? " (limit never reached)" : ""),
  };
}

function dailyTokensHeld(index: Index): Row {
  const { plan, notes } = index.evidence;
  const key = plan.keys.find((candidate) => candidate.dailyTokens !== undefined)!;
  const limit = key.dailyTokens!;
  const clients = index.evidence.clients.filter((client) => client.key === key.id)
    .sort((a, b) => a.endedAt - b.endedAt);
  let total = 0;
  let crossedAt: number | undefined;
  let inFlight = 0;
  for (const client of clients) {
    const charge = chargeOf(client, index.serving(client));
    const tokens = charge ? charge.input + charge.output : 0;
    if (crossedAt !== undefined && client.endedAt > crossedAt) inFlight += tokens;
    total += tokens;
    if (crossedAt === undefined && total >= limit) {
      crossedAt = client.endedAt;
      inFlight += tokens; // admitted below the limit, it took the total over
    }
  }
  const isRefusal = (client: ClientRecord) =>
    client.status === 429 && /tokens for today/.test(client.excerpt ?? "");
  const late = crossedAt === undefined
    ? []
    : clients.filter((client) =>
      client.sentAt > crossedAt! + plan.usageFlushSlackMs && client.status !== undefined &&
      !isRefusal(client)
    );
  const recorded = notes.usageByKey.find((row) => row.id === key.id);
  const used = recorded ? recorded.input + recorded.output : 0;
  const refused = clients.filter(isRefusal).length;
  return {
    name: "dailyTokens overshoots by no more than what was in flight",
    ok: crossedAt !== undefined && late.length === 0 && refused > 0,
    detail: crossedAt === undefined
      ? `${key.id} limit ${limit} never reached (${total} tokens served)`
      : `${key.id} limit ${limit}: ${used} recorded, overshoot ${used - limit}; the request that ` +
        `crossed it and those in flight then or admitted within the flush lag served ${inFlight}; ` +
        `${refused} refused` +
        (late.length
          ? `; ${late.length} admitted more than ${plan.usageFlushSlackMs} ms after the limit was crossed, e.g. ${
            late[0].id
          }`
          : ""),
  };
}

function describeClient(client: ClientRecord, index: Index): string {
  const attempts = index.attemptsOf(client.id).map((arrival) =>
    `${arrival.account}:${arrival.fault}`
  );
  const status = client.status ?? client.failure ?? "no answer";
  const excerpt = (client.excerpt ?? client.failure ?? "").replace(/\s+/g, " ").slice(0, 120);
  return `${client.id} (${client.key} ${client.surface}${
    client.stream ? " stream" : ""
  }) → ${status}` +
    ` after [${attempts.join(", ")}] ${excerpt}`;
}

function zero(): Totals {
  return { input: 0, output: 0, cached: 0, requests: 0 };
}

function add(into: Totals, tokens: Tokens): void {
  into.input += tokens.input;
  into.output += tokens.output;
  into.cached += tokens.cached;
  into.requests += 1;
}
