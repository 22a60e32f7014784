/**
 * Table tests for the one planner: every ordering rule (priority, least
 * recently used, quota preference, session binding, a claimed probe, the
 * account holding a slot), model-scoped cooldowns that leave an account out
 * for that model only, and a disabled account whose half-open probe is due,
 * named for the caller to claim.
 */

import assert from "node:assert/strict";
import type { Account } from "../config/types.ts";
import { attemptOrder, planAttempts, type PlanInput } from "./planner.ts";
import { type AccountHealth, HealthSnapshot } from "../accounts/health_snapshot.ts";
import type { QuotaStanding } from "../accounts/quota.ts";

const NOW = 10_000_000;
const PROBE_MS = 300_000;

function account(id: string, priority = 100): Account {
  return { id, platform: "openai", passthrough: false, baseUrl: "http://x", apiKey: "k", priority };
}

function snapshot(health: Record<string, Partial<AccountHealth>>, probeMs = PROBE_MS) {
  const byAccount = new Map(
    Object.entries(health).map(([id, h]) => [id, { cooldownUntil: 0, strikes: 0, ...h }]),
  );
  return new HealthSnapshot(byAccount, probeMs);
}

const never = () => 0;

/** The planner with positional basics, as most rows need only these. */
function plan(
  candidates: Account[],
  health: HealthSnapshot,
  lastUsed: (id: string) => number,
  now: number,
  model?: () => string | undefined,
) {
  return planAttempts({ candidates, health, lastUsed, now, model });
}
const opus = () => "claude-opus-4";
const A = account("a", 1);
const B = account("b", 2);
const restingOpus = {
  models: new Map([["claude-opus-4", { until: NOW + 60_000, reason: "quota" as const }]]),
};

Deno.test("a model cooldown leaves the account out for that model only", () => {
  const health = snapshot({ a: restingOpus });
  assert.deepEqual(plan([A, B], health, never, NOW, opus), {
    kind: "ready",
    accounts: [B],
  });
  assert.deepEqual(plan([A, B], health, never, NOW, () => "claude-sonnet-4"), {
    kind: "ready",
    accounts: [A, B],
  });
  // An expired model cooldown is over.
  assert.deepEqual(plan([A, B], health, never, NOW + 60_000, opus), {
    kind: "ready",
    accounts: [A, B],
  });
});

Deno.test("the request's model is read only when some candidate rests for a model", () => {
  let reads = 0;
  const model = () => {
    reads++;
    return "claude-opus-4";
  };
  plan([A, B], snapshot({ a: { cooldownUntil: NOW + 5 } }), never, NOW, model);
  assert.equal(reads, 0);
  plan([A, B], snapshot({ a: restingOpus }), never, NOW, model);
  assert.ok(reads > 0);
});

Deno.test("every candidate resting for the model: cooling, with the earliest return", () => {
  const health = snapshot({
    a: restingOpus,
    b: { cooldownUntil: NOW + 30_000 },
  });
  assert.deepEqual(plan([A, B], health, never, NOW, opus), {
    kind: "cooling",
    retryAt: NOW + 30_000,
  });
});

Deno.test("every candidate lacking the model: cooling, marked modelUnavailable", () => {
  const missing = {
    models: new Map([["gpt-typo", { until: NOW + 600_000, reason: "modelUnavailable" as const }]]),
  };
  const health = snapshot({ a: missing, b: missing });
  assert.deepEqual(plan([A, B], health, never, NOW, () => "gpt-typo"), {
    kind: "cooling",
    retryAt: NOW + 600_000,
    modelUnavailable: true,
  });
  // One account resting for another reason: an ordinary cooling answer.
  const mixed = snapshot({ a: missing, b: { cooldownUntil: NOW + 1_000 } });
  assert.deepEqual(plan([A, B], mixed, never, NOW, () => "gpt-typo"), {
    kind: "cooling",
    retryAt: NOW + 1_000,
  });
});

Deno.test("a disabled account with a due probe is named as the probe", async (t) => {
  const since = NOW - PROBE_MS;
  const temporary = { reason: "3 consecutive 403 responses", since, temporary: true };
  const rows: [string, Record<string, Partial<AccountHealth>>, number, Account | undefined][] = [
    ["due", { a: { disabled: temporary } }, PROBE_MS, A],
    ["not yet due", { a: { disabled: { ...temporary, since: since + 1 } } }, PROBE_MS, undefined],
    [
      "a claimed probe moved probeAt ahead",
      {
        a: { disabled: { ...temporary, probeAt: NOW + 1 } },
      },
      PROBE_MS,
      undefined,
    ],
    [
      "a running cooldown holds it back",
      {
        a: { disabled: temporary, cooldownUntil: NOW + 1 },
      },
      PROBE_MS,
      undefined,
    ],
    ["probes off", { a: { disabled: temporary } }, 0, undefined],
    ["a permanent reason", { a: { disabled: { reason: "401", since } } }, PROBE_MS, undefined],
    [
      "the preferred of two due",
      {
        a: { disabled: temporary },
        b: { disabled: temporary },
      },
      PROBE_MS,
      A,
    ],
  ];
  for (const [name, health, probeMs, probe] of rows) {
    await t.step(name, () => {
      const planned = plan([B, A], snapshot(health, probeMs), never, NOW);
      assert.equal(planned.probe, probe);
    });
  }
  await t.step("the probe rides on every kind of plan", () => {
    const health = snapshot({ a: { disabled: temporary }, b: { cooldownUntil: NOW + 5 } });
    assert.deepEqual(plan([A, B], health, never, NOW), {
      kind: "cooling",
      retryAt: NOW + 5,
      probe: A,
    });
    const alone = plan([A], snapshot({ a: { disabled: temporary } }), never, NOW);
    assert.equal(alone.kind, "unavailable");
    assert.equal(alone.probe, A);
  });
});

Deno.test("every ordering rule, in one table", async (t) => {
  const C = account("c", 2);
  const D = account("d", 3);
  const ticks: Record<string, number> = { a: 0, b: 5, c: 1, d: 0 };
  const lastUsed = (id: string) => ticks[id] ?? 0;
  const used: Record<string, number> = { b: 95, c: 40 };
  const quota = (id: string) => used[id] === undefined ? undefined : standing(used[id]);
  const base: PlanInput = { candidates: [D, C, B, A], health: snapshot({}), now: NOW, lastUsed };
  const rows: [name: string, input: Partial<PlanInput>, order: Account[]][] = [
    ["priority, then least recently used", {}, [A, C, B, D]],
    ["no quota preference without avoidAbovePercent", { quota }, [A, C, B, D]],
    ["above avoidAbovePercent goes last, order kept otherwise", {
      quota,
      avoidAbovePercent: 80,
    }, [A, C, D, B]],
    ["the bound account goes first", { boundAccount: "d" }, [D, A, C, B]],
    ["binding beats quota preference", {
      quota,
      avoidAbovePercent: 80,
      boundAccount: "b",
    }, [B, A, C, D]],
    ["a binding to an account that cannot serve changes nothing", {
      health: snapshot({ d: { cooldownUntil: NOW + 1 } }),
      boundAccount: "d",
    }, [A, C, B]],
    ["an account's own avoidAbovePercent wins over the group's", {
      candidates: [D, { ...C, avoidAbovePercent: 30 }, { ...B, avoidAbovePercent: 99 }, A],
      quota,
      avoidAbovePercent: 80,
    }, [A, { ...B, avoidAbovePercent: 99 }, D, { ...C, avoidAbovePercent: 30 }]],
    ["a spent window goes after every other, with no threshold set", {
      quota: (id) => id === "a" ? standing(100, true) : quota(id),
    }, [C, B, D, A]],
    ["a spent window goes after those above the threshold", {
      quota: (id) => id === "a" ? standing(100, true) : quota(id),
      avoidAbovePercent: 80,
    }, [C, D, B, A]],
    ["a binding does not bring a spent account first", {
      quota: (id) => id === "d" ? standing(100, true) : undefined,
      boundAccount: "d",
    }, [A, C, B, D]],
    ["resets-first: among equal priority the soonest reset first, unknown resets last", {
      candidates: [A, B, C, account("e", 2)],
      quota: (id) =>
        ({ b: standing(10, false, NOW + 5_000), e: standing(10, false, NOW + 1_000) })[id],
      order: "resets-first",
    }, [A, account("e", 2), B, C]],
    ["least-recently-used (the default) ignores resets", {
      candidates: [A, B, C, account("e", 2)],
      quota: (id) =>
        ({ b: standing(10, false, NOW + 5_000), e: standing(10, false, NOW + 1_000) })[id],
      order: "least-recently-used",
    }, [A, account("e", 2), C, B]],
  ];
  for (const [name, input, order] of rows) {
    await t.step(name, () => {
      const planned = planAttempts({ ...base, ...input });
      assert.equal(planned.kind, "ready");
      assert.deepEqual(planned.kind === "ready" ? planned.accounts : [], order);
    });
  }
  await t.step("a spent account alone is still planned: nothing else can serve", () => {
    const planned = planAttempts({ ...base, candidates: [A], quota: () => standing(100, true) });
    assert.deepEqual(planned, { kind: "ready", accounts: [A] });
  });
});

/** A quota standing: `used` percent, spent or not, resetting at `resetsAt`. */
function standing(used: number, spent = false, resetsAt = NOW + 3_600_000): QuotaStanding {
  return { usedPercent: used, spent, resetsAt, ...(spent ? { spentUntil: resetsAt } : {}) };
}

Deno.test("attempt order: a claimed probe first, then the account holding a slot", () => {
  const C = account("c", 3);
  const P = account("p", 9);
  assert.deepEqual(attemptOrder([A, B, C]), [A, B, C]);
  assert.deepEqual(attemptOrder([A, B, C], { probe: P }), [P, A, B, C]);
  assert.deepEqual(attemptOrder([A, B, C], { leased: C }), [C, A, B]);
  assert.deepEqual(attemptOrder([P, A, B, C], { probe: P, leased: B }), [P, B, A, C]);
  assert.deepEqual(attemptOrder([A, B], { probe: P, leased: P }), [P, A, B]);
  assert.deepEqual(attemptOrder([], { probe: P }), [P]);
});
