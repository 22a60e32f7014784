import assert from "node:assert/strict";
import { quotaStanding } from "./quota.ts";
import type { QuotaWindow } from "./model.ts";

const NOW = 1_000_000;

Deno.test("quotaStanding: highest use, soonest reset, spent windows until their reset", () => {
  const rows: [name: string, windows: QuotaWindow[], expected: ReturnType<typeof quotaStanding>][] =
    [
      ["no windows", [], { spent: false }],
      ["highest use and soonest reset", [
        { name: "5h", usedPercent: 40, resetAt: NOW + 5_000, exhausted: false },
        { name: "week", usedPercent: 70, resetAt: NOW + 9_000, exhausted: false },
      ], { usedPercent: 70, resetsAt: NOW + 5_000, spent: false }],
      ["100 % used is spent until its reset", [
        { name: "5h", usedPercent: 100, resetAt: NOW + 5_000, exhausted: false },
        { name: "week", usedPercent: 20, resetAt: NOW + 9_000, exhausted: false },
      ], { usedPercent: 100, resetsAt: NOW + 5_000, spent: true, spentUntil: NOW + 5_000 }],
      ["exhausted without a percent counts as 100", [
        { name: "unified", resetAt: NOW + 7_000, exhausted: true },
      ], { usedPercent: 100, resetsAt: NOW + 7_000, spent: true, spentUntil: NOW + 7_000 }],
      ["a model's own window and the overall status leave the account alone", [
        { name: "anthropic-7d_opus", resetAt: NOW + 9_000, exhausted: true },
        { name: "anthropic-unified", resetAt: NOW + 9_000, exhausted: true },
        { name: "anthropic-5h", usedPercent: 20, resetAt: NOW + 5_000, exhausted: false },
      ], { usedPercent: 20, resetsAt: NOW + 5_000, spent: false }],
      ["a window whose reset has passed is over", [
        { name: "5h", usedPercent: 100, resetAt: NOW, exhausted: true },
        { name: "week", usedPercent: 30, resetAt: NOW + 9_000, exhausted: false },
      ], { usedPercent: 30, resetsAt: NOW + 9_000, spent: false }],
    ];
  for (const [name, windows, expected] of rows) {
    assert.deepEqual(quotaStanding({ at: NOW - 1, windows }, NOW), expected, name);
  }
});
