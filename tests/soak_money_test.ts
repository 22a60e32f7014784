/**
 * The soak's money checks (scripts/soak/money.ts), pure: its own pricing
 * agrees with the gateway's cost function; a recorded cost off by one
 * micro-dollar fails; a budget admission after the flush lag, or an overshoot
 * larger than what was in flight, fails.
 */

import assert from "node:assert/strict";
import { costMicros } from "../lib/usage/cost.ts";
import { Index } from "../scripts/soak/evidence.ts";
import { moneyChecks, priced, SOAK_PRICING } from "../scripts/soak/money.ts";
import { makePlan } from "../scripts/soak/plan.ts";
import { type Arrival, type ClientRecord, emptyNotes } from "../scripts/soak/records.ts";
import { rngFor } from "../scripts/soak/rng.ts";

Deno.test("the soak's pricing agrees with the gateway's cost to the micro-dollar", () => {
  const rng = rngFor(9, "money");
  for (let i = 0; i < 2000; i++) {
    const input = rng.int(0, 5000);
    const tokens = { input, cached: rng.int(0, input), output: rng.int(0, 3000) };
    for (const price of Object.values(SOAK_PRICING)) {
      assert.equal(priced(tokens, price), costMicros(tokens, price), JSON.stringify(tokens));
    }
  }
});

/** A served chat answer: 1000 input (200 cached) and 100 output tokens, 2025 µ$ at gpt-soak's price. */
const USAGE = { input: 1000, output: 100, cached: 200 };
const EACH = 2025;

function served(seq: number, id: string, key: string, sentAt: number, endedAt: number) {
  const arrival: Arrival = {
    seq,
    id,
    account: "ok-oa",
    at: sentAt,
    path: "/ok-oa/v1/chat/completions",
    surface: "chat",
    stream: false,
    includeUsage: false,
    credentialOk: true,
    clientSecretSeen: false,
    fault: "ok",
    status: 200,
    sentEvents: 1,
    completed: true,
    usage: USAGE,
  };
  const client: ClientRecord = {
    id,
    n: seq,
    key,
    surface: "chat",
    stream: false,
    includeUsage: false,
    gateway: 0,
    incarnation: 0,
    sentAt,
    endedAt,
    status: 200,
    account: "ok-oa",
    queued: false,
    timedOut: false,
    body: {
      marker: `r${seq}`,
      contentEvents: 1,
      terminal: true,
      errorEvent: false,
      usageSeen: true,
      problems: [],
    },
  };
  return { arrival, client };
}

function refused(id: string, sentAt: number): ClientRecord {
  return {
    ...served(0, id, "k-budget", sentAt, sentAt + 5).client,
    status: 429,
    account: undefined,
    body: { contentEvents: 0, terminal: false, errorEvent: false, usageSeen: false, problems: [] },
    excerpt: 'key "k-budget" has spent its daily (UTC) budget of $0.005 ($0.01 spent)',
  };
}

function run(sends: [number, number][], recorded: Record<string, number>, extra: ClientRecord[]) {
  const plan = makePlan(1, 30, 4);
  plan.keys.find((key) => key.id === "k-budget")!.budgetUsd = 0.005; // 3 answers spend it
  const parts = sends.map(([sentAt, endedAt], i) =>
    served(i + 1, `q${i}`, "k-budget", sentAt, endedAt)
  );
  const notes = { ...emptyNotes(3), cost: { recorded } };
  const index = new Index({
    plan,
    arrivals: parts.map((part) => part.arrival),
    clients: [...parts.map((part) => part.client), ...extra],
    notes,
  });
  return moneyChecks(index);
}

Deno.test("recorded cost must equal the priced tokens in every cell", () => {
  const sends: [number, number][] = [[0, 100], [200, 300], [400, 500]];
  const cells = (micros: number) => ({
    "key:k-budget": micros,
    "account:ok-oa": micros,
    "model:gpt-soak": micros,
  });
  const [exact] = run(sends, cells(3 * EACH), [refused("z", 600)]);
  assert.ok(exact.ok, exact.detail);
  const [off] = run(sends, { ...cells(3 * EACH), "model:gpt-soak": 3 * EACH + 1 }, []);
  assert.equal(off.ok, false);
  assert.match(off.detail, /model:gpt-soak 6076 µ\$ \(expected 6075\)/);
});

Deno.test("budget overshoot: in flight when it ran out is allowed; later admissions are not", () => {
  const recorded = (micros: number) => ({
    "key:k-budget": micros,
    "account:ok-oa": micros,
    "model:gpt-soak": micros,
  });
  // The third answer ends at 500 and spends the budget; the fourth was sent at 450, in flight.
  const inFlight: [number, number][] = [[0, 100], [200, 300], [400, 500], [450, 700]];
  const [, held] = run(inFlight, recorded(4 * EACH), [refused("z", 800)]);
  assert.ok(held.ok, held.detail);
  assert.match(held.detail, /measured overshoot 3100 µ\$/);
  // Recorded beyond what was served and in flight: over the bound.
  const [, over] = run(inFlight, recorded(6 * EACH), [refused("z", 800)]);
  assert.equal(over.ok, false);
  // Admitted long after the flush lag.
  const late: [number, number][] = [...inFlight, [10_000, 10_100]];
  const [, admitted] = run(late, recorded(5 * EACH), [refused("z", 800)]);
  assert.equal(admitted.ok, false);
  assert.match(admitted.detail, /1 admitted after the flush lag/);
});
