/**
 * The soak's money: price overrides for the soak's two models, a key with a
 * small daily budget, reading the recorded cost back (`GET /admin/usage` by
 * key, account and model), and two invariants:
 *
 * - recorded cost = tokens × price for every key, account and model: each
 *   charged answer priced here, independently of the gateway's code, from the
 *   tokens the soak's upstream served (the killed gateway may lose its last
 *   flush, as for tokens);
 * - budget overshoot stays inside its bound: what the budget key spent past
 *   its budget is at most the cost of the requests in flight when the budget
 *   ran out (those admitted before any gateway could see it spent), and no
 *   request sent later than the flush lag after that is admitted.
 *
 * @module
 */

import type { Row } from "./checks.ts";
import { chargeOf, closedChargeCeiling, type Index } from "./evidence.ts";
import type { Surface } from "./faults.ts";
import type { Tokens } from "./formats.ts";
import type { SoakKey } from "./plan.ts";
import type { ClientRecord } from "./records.ts";

/** USD per 1M tokens; `cacheWrite` is left to default to `input`. */
interface SoakPrice {
  input: number;
  output: number;
  cachedInput: number;
}

/** The overrides the soak's gateways run with: an exact name and a pattern. */
export const SOAK_PRICING: Record<string, SoakPrice> = {
  "gpt-soak": { input: 1.25, output: 10, cachedInput: 0.125 },
  "claude-*": { input: 3, output: 15, cachedInput: 0.3 },
};

/** The model each surface's requests name (`driver.ts`), and the override that prices it. */
const MODEL_OF: Record<Surface, [model: string, price: string]> = {
  chat: ["gpt-soak", "gpt-soak"],
  responses: ["gpt-soak", "gpt-soak"],
  messages: ["claude-soak", "claude-*"],
};

/** The key with a budget: a share of the load on the OpenAI group, kept off the killed gateway. */
export function budgetKey(key: string, seconds: number): SoakKey {
  // $0.001 per second of the run: on the slowest runs seen (a remote KV on a loaded 2-core
  // machine, 30 requests/s) the key spent $0.00176 per second, so the budget runs out near
  // half-way there; at $0.002 it never ran out in a 20 s remote run. The check fails when it
  // never runs out.
  return {
    id: "k-budget",
    key,
    group: "g-openai",
    weight: 8,
    avoidKilled: true,
    budgetUsd: 0.001 * seconds,
  };
}

/** What the gateway config adds for money: the overrides, and each key's budget. */
export function moneyConfig(key: SoakKey): Record<string, unknown> {
  return key.budgetUsd === undefined ? {} : { budgets: [{ usd: key.budgetUsd, per: "day" }] };
}

/** Recorded cost per row of `GET /admin/usage`, by dimension. */
export interface CostNotes {
  /** `key:ID`, `account:ID`, `model:NAME` → micro-dollars. */
  recorded: Record<string, number>;
}

/** Reads the recorded cost by key, account and model over `days`. */
export async function readCost(
  url: string,
  adminToken: string,
  days: readonly string[],
  scan: (text: string, where: string) => void,
): Promise<CostNotes> {
  const recorded: Record<string, number> = {};
  for (const by of ["key", "account", "model"] as const) {
    const response = await fetch(
      `${url}/admin/usage?from=${days[0]}&to=${days.at(-1)}&by=${by}`,
      { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(10_000) },
    );
    const text = await response.text();
    scan(text, `GET /admin/usage?by=${by}`);
    if (response.status !== 200) throw new Error(`GET /admin/usage answered ${response.status}`);
    const { rows } = JSON.parse(text) as { rows: Record<string, unknown>[] };
    for (const row of rows) recorded[`${by}:${row[by]}`] = Number(row.costMicros ?? 0);
  }
  return { recorded };
}

/** Micro-dollars for `tokens` at `price`, rounded half up once (README: Cost). */
export function priced(tokens: Tokens, price: SoakPrice): number {
  // In milli-micro-dollars: every soak price is a whole number of thousandths of a dollar per 1M.
  const milli = (usd: number) => Math.round(usd * 1000);
  const total = (tokens.input - tokens.cached) * milli(price.input) +
    tokens.cached * milli(price.cachedInput) + tokens.output * milli(price.output);
  return Math.floor((total + 500) / 1000);
}

/** The cost the gateway must have recorded for a client request, with the model it is under. */
function costOf(client: ClientRecord, index: Index): { micros: number; model: string } | undefined {
  // A WebSocket turn its client closed mid-turn may be charged anything up to this ceiling.
  const charge = client.socket?.closedByClient === true
    ? closedChargeCeiling(index.serving(client))
    : chargeOf(client, index.serving(client));
  if (!charge) return undefined;
  const [model, price] = MODEL_OF[client.surface];
  return { micros: priced(charge, SOAK_PRICING[price]), model };
}

/** The money invariants. */
export function moneyChecks(index: Index): Row[] {
  return [costExact(index), budgetHeld(index)];
}

function costExact(index: Index): Row {
  const { notes, plan } = index.evidence;
  const want = new Map<string, { all: number; atRisk: number }>();
  for (const client of index.evidence.clients) {
    const cost = costOf(client, index);
    if (!cost) continue;
    const account = index.serving(client)!.account;
    const killed = notes.killedAt !== undefined && client.gateway === notes.killedGateway &&
      client.incarnation === 0 && client.endedAt >= notes.killedAt - plan.killUsageWindowMs;
    const risky = killed || client.socket?.closedByClient === true;
    for (const cell of [`key:${client.key}`, `account:${account}`, `model:${cost.model}`]) {
      const entry = want.get(cell) ?? { all: 0, atRisk: 0 };
      entry.all += cost.micros;
      if (risky) entry.atRisk += cost.micros;
      want.set(cell, entry);
    }
  }
  const recorded = notes.cost?.recorded ?? {};
  const mismatches: string[] = [];
  let exact = 0;
  for (const cell of new Set([...want.keys(), ...Object.keys(recorded)])) {
    const { all, atRisk } = want.get(cell) ?? { all: 0, atRisk: 0 };
    const got = recorded[cell] ?? 0;
    if (got > all || got < all - atRisk) {
      mismatches.push(
        `${cell} ${got} µ$ (expected ${all}${atRisk ? `, at least ${all - atRisk}` : ""})`,
      );
    } else if (got === all) exact++;
  }
  const total = [...want].filter(([cell]) => cell.startsWith("model:"))
    .reduce((sum, [, entry]) => sum + entry.all, 0);
  return {
    name: "recorded cost = tokens × price for every key/account/model",
    ok: mismatches.length === 0 && total > 0,
    detail: `${want.size} cells, $${(total / 1e6).toFixed(4)} served; ${exact} exact to the µ$` +
      (mismatches.length
        ? `; ${mismatches.length} mismatches: ${mismatches.slice(0, 4).join("; ")}`
        : ", the rest within the killed gateway's last flush or a closed WebSocket turn"),
  };
}

function budgetHeld(index: Index): Row {
  const { plan, notes } = index.evidence;
  const key = plan.keys.find((candidate) => candidate.budgetUsd !== undefined)!;
  const limit = Math.round(key.budgetUsd! * 1e6);
  const clients = index.evidence.clients.filter((client) => client.key === key.id)
    .sort((a, b) => a.endedAt - b.endedAt);
  let total = 0;
  let ranOutAt: number | undefined;
  for (const client of clients) {
    total += costOf(client, index)?.micros ?? 0;
    if (ranOutAt === undefined && total >= limit) ranOutAt = client.endedAt;
  }
  const refusal = (client: ClientRecord) =>
    client.status === 429 && /has spent its daily \(UTC\) budget/.test(client.excerpt ?? "");
  const admitted = (client: ClientRecord) => client.status !== undefined && !refusal(client);
  // In flight when it ran out: admitted, and sent before then (or within the flush lag after:
  // docs/operations.md's bound, 1 s flush interval + ~1 s commit under way + 0.5 s scheduling).
  const inFlight = ranOutAt === undefined
    ? []
    : clients.filter((client) =>
      admitted(client) && client.endedAt >= ranOutAt! &&
      client.sentAt <= ranOutAt! + plan.usageFlushSlackMs
    );
  const late = ranOutAt === undefined
    ? []
    : clients.filter((client) =>
      admitted(client) && client.sentAt > ranOutAt! + plan.usageFlushSlackMs
    );
  const bound = inFlight.reduce((sum, client) => sum + (costOf(client, index)?.micros ?? 0), 0);
  const spent = notes.cost?.recorded[`key:${key.id}`] ?? 0;
  const overshoot = Math.max(0, spent - limit);
  const refused = clients.filter(refusal).length;
  return {
    name: "budget overshoot stays inside the stated bound",
    ok: ranOutAt !== undefined && overshoot <= bound && late.length === 0 && refused > 0,
    detail: ranOutAt === undefined
      ? `${key.id} budget $${key.budgetUsd} never ran out ($${(total / 1e6).toFixed(4)} spent)`
      : `${key.id} budget ${limit} µ$: ${spent} recorded, measured overshoot ${overshoot} µ$ ` +
        `(${(100 * overshoot / limit).toFixed(1)} %); bound: the ${inFlight.length} requests in ` +
        `flight when it ran out (or admitted within the ${plan.usageFlushSlackMs} ms flush lag) ` +
        `cost ${bound} µ$; ${refused} refused` +
        (late.length ? `; ${late.length} admitted after the flush lag, e.g. ${late[0].id}` : ""),
  };
}
