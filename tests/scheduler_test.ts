/**
 * Table-style tests for the pure planner: model-scoped cooldowns leave an
 * account out for that model only, and a disabled account whose half-open
 * probe is due is named for the caller to claim.
 */

import assert from "node:assert/strict";
import type { Account } from "../lib/config/types.ts";
import { planAttempts } from "../lib/scheduling/scheduler.ts";
import { type AccountHealth, HealthSnapshot } from "../lib/state/account_state.ts";

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
const opus = () => "claude-opus-4";
const A = account("a", 1);
const B = account("b", 2);
const restingOpus = {
  models: new Map([["claude-opus-4", { until: NOW + 60_000, reason: "quota" as const }]]),
};

Deno.test("a model cooldown leaves the account out for that model only", () => {
  const health = snapshot({ a: restingOpus });
  assert.deepEqual(planAttempts([A, B], health, never, NOW, opus), {
    kind: "ready",
    accounts: [B],
  });
  assert.deepEqual(planAttempts([A, B], health, never, NOW, () => "claude-sonnet-4"), {
    kind: "ready",
    accounts: [A, B],
  });
  // An expired model cooldown is over.
  assert.deepEqual(planAttempts([A, B], health, never, NOW + 60_000, opus), {
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
  planAttempts([A, B], snapshot({ a: { cooldownUntil: NOW + 5 } }), never, NOW, model);
  assert.equal(reads, 0);
  planAttempts([A, B], snapshot({ a: restingOpus }), never, NOW, model);
  assert.ok(reads > 0);
});

Deno.test("every candidate resting for the model: cooling, with the earliest return", () => {
  const health = snapshot({
    a: restingOpus,
    b: { cooldownUntil: NOW + 30_000 },
  });
  assert.deepEqual(planAttempts([A, B], health, never, NOW, opus), {
    kind: "cooling",
    retryAt: NOW + 30_000,
  });
});

Deno.test("every candidate lacking the model: cooling, marked modelUnavailable", () => {
  const missing = {
    models: new Map([["gpt-typo", { until: NOW + 600_000, reason: "modelUnavailable" as const }]]),
  };
  const health = snapshot({ a: missing, b: missing });
  assert.deepEqual(planAttempts([A, B], health, never, NOW, () => "gpt-typo"), {
    kind: "cooling",
    retryAt: NOW + 600_000,
    modelUnavailable: true,
  });
  // One account resting for another reason: an ordinary cooling answer.
  const mixed = snapshot({ a: missing, b: { cooldownUntil: NOW + 1_000 } });
  assert.deepEqual(planAttempts([A, B], mixed, never, NOW, () => "gpt-typo"), {
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
      const plan = planAttempts([B, A], snapshot(health, probeMs), never, NOW);
      assert.equal(plan.probe, probe);
    });
  }
  await t.step("the probe rides on every kind of plan", () => {
    const health = snapshot({ a: { disabled: temporary }, b: { cooldownUntil: NOW + 5 } });
    assert.deepEqual(planAttempts([A, B], health, never, NOW), {
      kind: "cooling",
      retryAt: NOW + 5,
      probe: A,
    });
    const alone = planAttempts([A], snapshot({ a: { disabled: temporary } }), never, NOW);
    assert.equal(alone.kind, "unavailable");
    assert.equal(alone.probe, A);
  });
});
