/**
 * The soak's invariants about the KV faults (a run on its own KV Connect test
 * server, `kv.ts`): requests sent while the KV answered 503s or was
 * unreachable were answered, none hung; `/healthz` kept answering, said the
 * KV was unreachable during the outage, and said `ok` again after it; and a
 * degraded `/healthz` only ever while the KV was faulty. Pure functions of the
 * evidence, like `checks.ts`. Usage written during the outage is judged by the
 * usage invariant there (recorded = served after the run).
 *
 * @module
 */

import type { Row } from "./checks.ts";
import { type Index, outcomeOf } from "./evidence.ts";
import type { ClientRecord, KvNotes, RunNotes } from "./records.ts";
import { REOPEN_DELAYS_MS } from "../../lib/kv/watch_signal.ts";

/**
 * A request waits on an unreachable KV at most this much longer than the slowest
 * fault-free request outside the faults: the gateway's deadline on a remote KV call
 * (2 s, `lib/kv/reachability.ts`), once, plus 0.5 s of slack for a loaded machine.
 */
export const KV_WAIT_BOUND_MS = 2_500;
/** The first second of the load: processes still compile as they serve. */
const WARM_UP_MS = 1_000;
/** After a fault ends, `/healthz` may take this long to see the KV answer again. */
export const KV_RECOVERY_MS = 5_000;
/** `/healthz` has this long into an outage to notice it (the call deadline plus a probe). */
export const KV_NOTICE_MS = 3_000;

/**
 * After a KV fault ends, a process's watch stream may take this long to open again and
 * deliver what it missed: the longest wait between reopening attempts
 * (`lib/kv/watch_signal.ts`).
 */
export const WATCH_REOPEN_MS = Math.max(...REOPEN_DELAYS_MS);

const EXAMPLES = 3;
type Fault = KvNotes["faults"][number];

/** The KV faults of a run that were in force for some time (none on a file). */
export function faultWindows(notes: RunNotes): Fault[] {
  return notes.kv.faults.filter((fault) => fault.to > fault.from);
}

/**
 * The remote bound on a cooldown (docs/several-hosts.md): another process honours a
 * cooldown once its watch stream delivered it, and serves its last known state while the
 * KV is faulty and until its stream is back. So an arrival at another process than the
 * cooldown's writer is excused when a KV fault was in force between the cooldown's landing
 * and the arrival (the fault's end stretched by {@linkcode WATCH_REOPEN_MS}); the fault
 * excusing it is returned. Never the writer's own process (its writes count for it at
 * once), and never on a file (no faults).
 */
export function excusedByFault(
  landedAt: number,
  arrivedAt: number,
  sameProcess: boolean,
  windows: readonly Fault[],
): Fault | undefined {
  if (sameProcess) return undefined;
  return windows.find((fault) => fault.from <= arrivedAt && fault.to + WATCH_REOPEN_MS >= landedAt);
}

/**
 * On a remote KV, outside any fault, another process honours a cooldown once its watch
 * stream delivered the commit (docs/several-hosts.md, "The staleness bound": about 20-30 ms
 * measured at 5 ms of latency, idle). The soak holds the stream to this on loopback, with
 * four gateways and the load on two cores (up to 250 ms seen there).
 */
export const WATCH_DELIVERY_MS = 500;

/**
 * An arrival at another process than the cooldown's writer within
 * {@linkcode WATCH_DELIVERY_MS} of its landing, on a remote KV: that process's stream may
 * not have delivered it yet. Never the writer's own process, never on a file.
 */
export function excusedByWatch(
  landedAt: number,
  arrivedAt: number,
  sameProcess: boolean,
  kind: KvNotes["kind"],
): boolean {
  return kind !== "file" && !sameProcess && arrivedAt - landedAt <= WATCH_DELIVERY_MS;
}

/** Does the UTC minute starting at `minuteStart` overlap a KV fault? */
export function minuteInFault(minuteStart: number, windows: readonly Fault[]): boolean {
  return windows.some((fault) => fault.from < minuteStart + 60_000 && fault.to >= minuteStart);
}

/** The rows about the KV faults; none when no fault was thrown (a file, or a remote KV). */
export function kvChecks(index: Index): Row[] {
  const { notes } = index.evidence;
  const windows = faultWindows(notes);
  if (windows.length === 0) return [];
  const outages = windows.filter((fault) => fault.what === "outage");
  return [
    answeredDuringFaults(index, windows),
    ...(outages.length ? [healthDuringOutage(notes, outages)] : []),
  ];
}

/** Was `at` inside a fault, or within `slackMs` after one ended? */
export function inFault(at: number, windows: readonly Fault[], slackMs = 0): boolean {
  return windows.some((fault) => at >= fault.from && at <= fault.to + slackMs);
}

/** Time to the response head, or to the end when none came. */
function waited(client: ClientRecord): number {
  return (client.headersAt ?? client.endedAt) - client.sentAt;
}

/**
 * A request whose every upstream attempt was answered without a fault (or that made
 * none) and that did not get the queued event stream (sent after 5 s of waiting for a
 * slot, by design): its wait is the gateway's own, not an upstream's hang, slow stream or
 * a concurrency queue.
 */
function faultFree(client: ClientRecord, index: Index): boolean {
  return !client.queued && index.attemptsOf(client.id).every((arrival) => arrival.fault === "ok");
}

/** Did the request wait for its head while `fault` was in force (sent during it, or before)? */
function waitedThrough(client: ClientRecord, fault: Fault, slackMs = 0): boolean {
  return client.sentAt <= fault.to + slackMs && client.sentAt + waited(client) >= fault.from;
}

function answeredDuringFaults(index: Index, windows: readonly Fault[]): Row {
  const { notes } = index.evidence;
  const clients = index.evidence.clients.filter((client) => !client.socket?.warmup);
  // The slowest head of a fault-free request while the KV was fine (after a first second
  // of warm-up: a new process compiles as it serves its first requests).
  const calm = clients.filter((client) =>
    client.headersAt !== undefined && client.sentAt >= notes.startedAt + WARM_UP_MS &&
    !windows.some((fault) => waitedThrough(client, fault, KV_RECOVERY_MS)) &&
    faultFree(client, index)
  ).map(waited);
  const bound = Math.max(0, ...calm) + KV_WAIT_BOUND_MS;
  const parts: string[] = [];
  const bad: string[] = [];
  let sent = 0;
  for (const fault of windows) {
    const during = clients.filter((client) => waitedThrough(client, fault));
    const sentDuring = during.filter((client) => client.sentAt >= fault.from).length;
    sent += sentDuring;
    const ok = during.filter((client) => outcomeOf(client, index) === "ok").length;
    const waits = during.map(waited).sort((a, b) => a - b);
    for (const client of during) {
      const outcome = outcomeOf(client, index);
      if (client.timedOut || outcome === "error") {
        bad.push(`${fault.what}: ${client.id} ${outcome}${client.timedOut ? " (timed out)" : ""}`);
      } else if (faultFree(client, index) && waited(client) > bound) {
        bad.push(`${fault.what}: ${client.id} waited ${waited(client)} ms`);
      }
    }
    parts.push(
      `${fault.what} ${((fault.to - fault.from) / 1000).toFixed(1)}s: ${during.length} waited ` +
        `through it (${sentDuring} sent in it), ${ok} answered whole, head p50 ` +
        `${quantile(waits, 0.5)} ms, max ${waits.at(-1) ?? 0} ms`,
    );
  }
  return {
    name: "requests during a KV fault are answered, none hangs",
    ok: sent > 0 && bad.length === 0,
    detail: parts.join("; ") +
      `; a fault-free request may wait ${bound} ms (the slowest outside the faults, ` +
      `${bound - KV_WAIT_BOUND_MS} ms, + ${KV_WAIT_BOUND_MS} ms)` +
      (sent === 0 ? "; no request was sent during a fault" : "") +
      (bad.length ? `; ${bad.length} not: ${bad.slice(0, EXAMPLES).join("; ")}` : ""),
  };
}

function healthDuringOutage(notes: RunNotes, outages: readonly Fault[]): Row {
  const probes = notes.health.probes;
  const problems: string[] = [];
  const details: string[] = [];
  for (const outage of outages) {
    const during = probes.filter((probe) =>
      probe.at >= outage.from + KV_NOTICE_MS && probe.at <= outage.to
    );
    const degraded = during.filter((probe) => probe.kvUnreachable);
    const gateways = new Set(during.map((probe) => probe.gateway));
    const told = new Set(degraded.map((probe) => probe.gateway));
    for (const gateway of gateways) {
      if (!told.has(gateway)) problems.push(`gw${gateway} never said the KV was unreachable`);
    }
    if (outage.to - outage.from > KV_NOTICE_MS && during.length === 0) {
      problems.push("no /healthz probe answered during the outage");
    }
    // Recovered: every gateway's last probe is "ok".
    const last = new Map<number, (typeof probes)[number]>();
    for (const probe of probes) if (probe.at > outage.to) last.set(probe.gateway, probe);
    const stuck = [...last.values()].filter((probe) => probe.status !== "ok");
    for (const probe of stuck) {
      problems.push(`gw${probe.gateway} still said ${probe.status} at the end`);
    }
    details.push(
      `outage: ${during.length} probes answered after its first ${KV_NOTICE_MS / 1000}s, ` +
        `${degraded.length} said degraded (KV unreachable), by ${told.size} of ${gateways.size} ` +
        `gateways; after it ${last.size - stuck.length} of ${last.size} back to ok`,
    );
  }
  return {
    name: "/healthz says the KV is unreachable during the outage, and ok after",
    ok: problems.length === 0,
    detail: details.join("; ") +
      (problems.length ? `; ${problems.slice(0, EXAMPLES).join("; ")}` : ""),
  };
}

/** Degraded `/healthz` answers that no KV fault explains (for "/healthz answers throughout"). */
export function unexplainedDegraded(notes: RunNotes): string[] {
  const windows = faultWindows(notes);
  return notes.health.probes
    .filter((probe) => probe.kvUnreachable && !inFault(probe.at, windows, KV_RECOVERY_MS))
    .map((probe) =>
      `gw${probe.gateway} at +${since(notes, probe.at)}s: degraded with no KV fault in force`
    );
}

function since(notes: RunNotes, at: number): string {
  return ((at - notes.startedAt) / 1000).toFixed(1);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
