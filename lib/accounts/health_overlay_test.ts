import assert from "node:assert/strict";
import { applyEffect, overlay } from "./health_overlay.ts";
import { type AccountHealth, HealthSnapshot } from "./health_snapshot.ts";
import type { AccountEffect } from "./model.ts";

const NOW = 1_000_000;
const fresh: AccountHealth = { cooldownUntil: 0, strikes: 0 };
const cooling: AccountHealth = { cooldownUntil: NOW + 60_000, cooldownReason: "quota", strikes: 2 };
const cool = (until: number, model?: string): AccountEffect => ({
  kind: "cooldown",
  reason: "rateLimited",
  until,
  strike: true,
  ...(model ? { model } : {}),
});

Deno.test("applyEffect: a local write lengthens, sets or clears, and never shortens", async (t) => {
  const cases: [string, AccountHealth, AccountEffect, Partial<AccountHealth> | "same"][] = [
    ["nothing", cooling, { kind: "none" }, "same"],
    ["a cooldown rests a fresh account", fresh, cool(NOW + 5_000), {
      cooldownUntil: NOW + 5_000,
      cooldownReason: "rateLimited",
    }],
    ["a shorter cooldown keeps the longer rest", cooling, cool(NOW + 5_000), "same"],
    ["a longer cooldown replaces a shorter one", cooling, cool(NOW + 120_000), {
      cooldownUntil: NOW + 120_000,
      cooldownReason: "rateLimited",
    }],
    ["a strike is not counted locally (the KV write counts it)", fresh, cool(NOW + 1), {
      cooldownUntil: NOW + 1,
      cooldownReason: "rateLimited",
      strikes: 0,
    }],
    ["a success clears strikes", cooling, { kind: "healthy" }, { strikes: 0 }],
    ["a success with no strikes changes nothing", fresh, { kind: "healthy" }, "same"],
    ["a disable", fresh, { kind: "disable", reason: "401" }, {
      disabled: { reason: "401", since: NOW },
    }],
    [
      "a temporary disable keeps a permanent one",
      {
        ...fresh,
        disabled: { reason: "gone", since: 1 },
      },
      { kind: "disable", reason: "403s", temporary: true },
      "same",
    ],
    [
      "a permanent disable replaces a temporary one",
      {
        ...fresh,
        disabled: { reason: "403s", since: 1, temporary: true },
      },
      { kind: "disable", reason: "gone" },
      { disabled: { reason: "gone", since: NOW } },
    ],
  ];
  for (const [name, before, effect, expected] of cases) {
    await t.step(name, () => {
      const after = applyEffect(before, effect, NOW);
      if (expected === "same") assert.equal(after, before);
      else assert.deepEqual(after, { ...before, ...expected });
    });
  }
});

Deno.test("applyEffect: a model cooldown rests that model only, never shorter", () => {
  const once = applyEffect(fresh, cool(NOW + 9_000, "gpt-x"), NOW);
  assert.equal(once.cooldownUntil, 0);
  assert.deepEqual([...once.models ?? []], [["gpt-x", {
    until: NOW + 9_000,
    reason: "rateLimited",
  }]]);
  assert.equal(applyEffect(once, cool(NOW + 1_000, "gpt-x"), NOW), once);
});

Deno.test("overlay: applied twice is applied once; no change keeps the snapshot", () => {
  const base = new HealthSnapshot(new Map([["b", cooling]]), 5_000);
  const effects = [{ accountId: "a", effect: cool(NOW + 7_000), now: NOW }];
  const once = overlay(base, effects);
  assert.equal(once.condition("a", NOW), "cooldown");
  assert.equal(once.health("b"), cooling);
  assert.equal(once.probeMs, 5_000);
  assert.deepEqual(overlay(once, effects).byAccount, once.byAccount);
  assert.equal(overlay(base, []), base);
  assert.equal(overlay(base, [{ accountId: "b", effect: cool(NOW), now: NOW }]), base);
});
