/**
 * The soak on a remote KV (scripts/soak/kv.ts, kv_checks.ts): reading
 * `--kv-url` / `--kv-token`, the seeded KV faults, and the invariants about
 * requests and `/healthz` while the KV answered 503s or was unreachable.
 */

import assert from "node:assert/strict";
import type { Row } from "../scripts/soak/checks.ts";
import { checkAll } from "../scripts/soak/checks.ts";
import type { Evidence } from "../scripts/soak/evidence.ts";
import { kvChoice, shownUrl } from "../scripts/soak/kv.ts";
import {
  excusedByFault,
  excusedByWatch,
  faultWindows,
  KV_WAIT_BOUND_MS,
  kvChecks,
  minuteInFault,
  WATCH_DELIVERY_MS,
  WATCH_REOPEN_MS,
} from "../scripts/soak/kv_checks.ts";
import { budgetKey } from "../scripts/soak/money.ts";
import { Index } from "../scripts/soak/evidence.ts";
import { kvFaultPlan, makePlan } from "../scripts/soak/plan.ts";
import {
  type ClientRecord,
  emptyNotes,
  type HealthProbe,
  type RunNotes,
} from "../scripts/soak/records.ts";

Deno.test("--kv-url: a file by default, the soak's own server, or a URL with a token", () => {
  assert.deepEqual(kvChoice(undefined, undefined, "env-token"), { kind: "file" });
  assert.deepEqual(kvChoice("server", undefined, undefined), { kind: "server" });
  assert.deepEqual(kvChoice("http://db:4512", undefined, "env-token"), {
    kind: "remote",
    url: "http://db:4512",
    token: "env-token",
  });
  assert.deepEqual(kvChoice("https://db", "flag", "env-token"), {
    kind: "remote",
    url: "https://db",
    token: "flag",
  });
  assert.match(String(kvChoice("http://db", undefined, undefined)), /--kv-token/);
  assert.match(String(kvChoice("db.example", "t", undefined)), /KV Connect URL/);
  assert.match(String(kvChoice("file:///x.kv", "t", undefined)), /KV Connect URL/);
  assert.match(String(kvChoice(undefined, "t", undefined)), /needs --kv-url/);
  assert.match(String(kvChoice("server", "t", undefined)), /own token/);
  assert.equal(shownUrl("https://user:pw@db.example:443/kv?x=1"), "https://db.example/kv");
});

Deno.test("KV faults are seeded apart from the plan: a file run of a seed keeps its plan", () => {
  const faults = kvFaultPlan(7, 120, 5000);
  assert.deepEqual(faults, kvFaultPlan(7, 120, 5000));
  const { kv: _, ...withFaults } = makePlan(7, 120, 4, faults);
  assert.deepEqual(withFaults, makePlan(7, 120, 4));
  // 503s before the kill (40 %), the outage after the restart and inside the load.
  const kill = makePlan(7, 120, 4).kill;
  assert.ok(faults.burst503!.atMs + faults.burst503!.ms < kill.atMs);
  assert.ok(faults.expireTokenAtMs! + 1000 < kill.atMs);
  assert.ok(faults.outage!.atMs > kill.atMs + kill.downMs + 10_000);
  assert.ok(faults.outage!.atMs + faults.outage!.ms < 120_000);
  assert.equal(kvFaultPlan(7, 120, 0).outage, undefined);
});

const START = 1_000_000;
const OUTAGE = { what: "outage" as const, from: START + 10_000, to: START + 15_000 };

function client(id: string, sentAt: number, head: number, extra: Partial<ClientRecord> = {}) {
  const record: ClientRecord = {
    id,
    n: 0,
    key: "k",
    surface: "chat",
    stream: false,
    includeUsage: false,
    gateway: 0,
    incarnation: 0,
    sentAt,
    headersAt: sentAt + head,
    endedAt: sentAt + head + 10,
    status: 200,
    queued: false,
    timedOut: false,
    body: { contentEvents: 1, terminal: true, errorEvent: false, usageSeen: true, problems: [] },
    ...extra,
  };
  return record;
}

function probe(gateway: number, at: number, degraded: boolean): HealthProbe {
  return {
    gateway,
    at,
    answered: true,
    status: degraded ? "degraded" : "ok",
    kvUnreachable: degraded,
  };
}

function evidence(clients: ClientRecord[], probes: HealthProbe[]): Evidence {
  const notes: RunNotes = {
    ...emptyNotes(1),
    startedAt: START,
    loadEndedAt: START + 30_000,
    health: { checks: probes.length, failures: [], probes },
    kv: { kind: "server", url: "http://127.0.0.1:1", faults: [OUTAGE] },
  };
  return { plan: makePlan(1, 30, 2), arrivals: [], clients, notes };
}

function row(rows: Row[], name: RegExp): Row {
  const found = rows.find((candidate) => name.test(candidate.name));
  assert.ok(found, `no row ${name}`);
  return found;
}

const calm = [client("a", START + 2000, 300), client("b", START + 25_000, 400)];
const recovered = [probe(0, START + 21_000, false), probe(1, START + 21_000, false)];

Deno.test("a request that waits out the KV outage is a hang; one bounded by the deadline is not", () => {
  const within = client("c", OUTAGE.from + 100, 400 + KV_WAIT_BOUND_MS - 1);
  const ok = kvChecks(new Index(evidence([...calm, within], [])));
  assert.equal(row(ok, /none hangs/).ok, true, row(ok, /none hangs/).detail);

  // Sent just before the outage, answered when it ended: it waited on the KV.
  const waitedOut = client("d", OUTAGE.from - 200, 5300);
  const hung = kvChecks(new Index(evidence([...calm, within, waitedOut], [])));
  assert.equal(row(hung, /none hangs/).ok, false);
  assert.match(row(hung, /none hangs/).detail, /d waited 5300 ms/);
  // A queued stream waits 5 s by design: it does not raise the bound for the others.
  const queued = client("q", START + 3000, 5200, { queued: true });
  const stillHung = kvChecks(new Index(evidence([...calm, queued, within, waitedOut], [])));
  assert.equal(row(stillHung, /none hangs/).ok, false);

  const timedOut = client("e", OUTAGE.from + 50, 90_000, { timedOut: true, status: undefined });
  assert.equal(row(kvChecks(new Index(evidence([...calm, timedOut], []))), /none hangs/).ok, false);
  // Nothing was sent during the fault: nothing shows that requests were answered.
  assert.equal(row(kvChecks(new Index(evidence(calm, []))), /none hangs/).ok, false);
});

Deno.test("/healthz must say the KV is unreachable in the outage, ok after, and degraded only then", () => {
  const during = [probe(0, OUTAGE.from + 3500, true), probe(1, OUTAGE.from + 4000, true)];
  const rows = checkAll(evidence(calm, [...during, ...recovered]));
  assert.equal(row(rows, /unreachable during the outage/).ok, true);
  assert.equal(row(rows, /healthz answers throughout/).ok, true);

  // One gateway said "ok" all through the outage (the base branch's /healthz).
  const silent = [probe(0, OUTAGE.from + 3500, true), probe(1, OUTAGE.from + 4000, false)];
  const quiet = checkAll(evidence(calm, [...silent, ...recovered]));
  assert.equal(row(quiet, /unreachable during the outage/).ok, false);
  assert.match(row(quiet, /unreachable during the outage/).detail, /gw1 never said/);

  // Still degraded at the end: not recovered.
  const stuck = checkAll(evidence(calm, [...during, probe(1, START + 21_000, true)]));
  assert.equal(row(stuck, /unreachable during the outage/).ok, false);

  // Degraded with no KV fault in force fails "/healthz answers throughout".
  const stray = checkAll(evidence(calm, [...during, ...recovered, probe(0, START + 2000, true)]));
  assert.equal(row(stray, /healthz answers throughout/).ok, false);
});

Deno.test("a file run has no KV rows", () => {
  const record = evidence(calm, []);
  record.notes.kv = { kind: "file", url: "", faults: [] };
  assert.deepEqual(kvChecks(new Index(record)), []);
});

Deno.test("a cooldown missed at another process is excused only by a KV fault between its landing and the arrival", () => {
  const faults = [OUTAGE];
  // Landed before the outage, arrived in it: the other process serves its last state.
  assert.equal(excusedByFault(OUTAGE.from - 500, OUTAGE.from + 100, false, faults), OUTAGE);
  // Landed in it, arrived after it but while the stream reopens.
  assert.equal(excusedByFault(OUTAGE.from + 100, OUTAGE.to + 1_500, false, faults), OUTAGE);
  // Landed just after it: the stream may still be reopening.
  assert.equal(
    excusedByFault(OUTAGE.to + WATCH_REOPEN_MS, OUTAGE.to + 3_000, false, faults),
    OUTAGE,
  );
  // Landed later than that, or everything before the fault: a real violation.
  assert.equal(
    excusedByFault(OUTAGE.to + WATCH_REOPEN_MS + 1, OUTAGE.to + 3_000, false, faults),
    undefined,
  );
  assert.equal(excusedByFault(OUTAGE.from - 900, OUTAGE.from - 1, false, faults), undefined);
  // The writer's own process sees its write at once, fault or not; a file run has no faults.
  assert.equal(excusedByFault(OUTAGE.from - 500, OUTAGE.from + 100, true, faults), undefined);
  assert.equal(excusedByFault(OUTAGE.from - 500, OUTAGE.from + 100, false, []), undefined);
});

Deno.test("rpm is judged per process only in a UTC minute that overlaps a KV fault", () => {
  const minute = Math.floor(OUTAGE.from / 60_000) * 60_000;
  assert.equal(minuteInFault(minute, [OUTAGE]), true);
  assert.equal(minuteInFault(minute + 60_000, [OUTAGE]), OUTAGE.to >= minute + 60_000);
  assert.equal(minuteInFault(minute - 60_000, [OUTAGE]), false);
  assert.equal(minuteInFault(minute, []), false);
  assert.deepEqual(
    faultWindows({ ...emptyNotes(1), kv: { kind: "file", url: "", faults: [] } }),
    [],
  );
});

Deno.test("the budget is sized to run out in a short run on a slow remote KV", () => {
  // Spent on the slowest 20 s remote run seen: $0.0352; the budget must be well under it.
  assert.ok(budgetKey("k", 20).budgetUsd! <= 0.0352 * 0.6);
});

Deno.test("cooldowns on a remote KV: another process is excused only within the watch's delivery bound", () => {
  const landed = 10_000;
  const table: [number, boolean, "file" | "remote" | "server", boolean][] = [
    [landed + 10, false, "server", true], // its stream may not have delivered it yet
    [landed + WATCH_DELIVERY_MS, false, "remote", true],
    [landed + WATCH_DELIVERY_MS + 1, false, "server", false], // later: a real violation
    [landed + 10, true, "server", false], // the writer's own process knows at once
    [landed + 10, false, "file", false], // a file has no stream: the next request of any process
  ];
  for (const [arrived, sameProcess, kind, expected] of table) {
    assert.equal(
      excusedByWatch(landed, arrived, sameProcess, kind),
      expected,
      JSON.stringify({ arrived, sameProcess, kind }),
    );
  }
});
