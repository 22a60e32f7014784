import assert from "node:assert/strict";
import { HealthSnapshot } from "../accounts/health_snapshot.ts";
import { exhaustion, quotaCrossings } from "./account_alerts.ts";

const NOW = 1_000_000;

Deno.test("exhaustion: every account cooling or disabled, until the first cooldown ends", () => {
  const snapshot = new HealthSnapshot(
    new Map([
      ["cool-late", { cooldownUntil: NOW + 9_000, strikes: 0 }],
      ["cool-soon", { cooldownUntil: NOW + 5_000, strikes: 0 }],
      ["off", { cooldownUntil: 0, strikes: 0, disabled: { reason: "401", since: 0 } }],
      ["expired", { cooldownUntil: NOW - 1, strikes: 0 }],
    ]),
  );
  const cases: [string[], boolean, number | undefined][] = [
    [["cool-late", "cool-soon", "off"], true, NOW + 5_000],
    [["off"], true, undefined],
    [["cool-late", "expired"], false, undefined],
    [["fresh"], false, undefined],
    [[], false, undefined],
  ];
  for (const [accounts, exhausted, endsAt] of cases) {
    const found = exhaustion({ id: "g", accounts }, snapshot, NOW);
    assert.equal(found.exhausted, exhausted, accounts.join());
    if (found.exhausted) assert.equal(found.endsAt, endsAt, accounts.join());
  }
});

Deno.test("quotaCrossings: windows at or above the threshold, a used-up one as 100 %", () => {
  const crossings = quotaCrossings(
    [
      { name: "codex-primary", usedPercent: 90, resetAt: NOW + 60_000, exhausted: false },
      { name: "codex-secondary", usedPercent: 89.9, resetAt: NOW + 60_000, exhausted: false },
      { name: "anthropic-7d", exhausted: true, resetAt: NOW + 1_000 },
      { name: "anthropic-5h", usedPercent: 99, resetAt: NOW - 1, exhausted: false },
      { name: "no-reset", usedPercent: 95, exhausted: false },
    ],
    90,
    NOW,
  );
  assert.deepEqual(crossings, [
    { window: "codex-primary", usedPercent: 90, endsAt: NOW + 60_000, resetAt: NOW + 60_000 },
    { window: "anthropic-7d", usedPercent: 100, endsAt: NOW + 1_000, resetAt: NOW + 1_000 },
    { window: "no-reset", usedPercent: 95, endsAt: NOW + 3600_000 },
  ]);
});
