/**
 * Table tests for the pure half-open probe decisions: what a probe's answer
 * does to a disabled account, how the wait grows, and when a probe is due.
 */

import assert from "node:assert/strict";
import type { AccountEffect } from "./model.ts";
import { nextProbeAt, nextProbeWait, type ProbeVerdict, probeVerdict } from "./probes.ts";

const ROWS: [name: string, effect: AccountEffect, verdict: ProbeVerdict][] = [
  ["a success restores", { kind: "healthy" }, "restore"],
  ["a 400 says nothing about the account", { kind: "none" }, "inconclusive"],
  [
    "a 403 fails",
    { kind: "cooldown", reason: "forbidden", until: 1, strike: true },
    "fail",
  ],
  [
    "a 429 fails",
    { kind: "cooldown", reason: "rateLimited", until: 1, strike: false },
    "fail",
  ],
  [
    "unreachable fails",
    { kind: "cooldown", reason: "unreachable", until: 1, strike: false },
    "fail",
  ],
  [
    "a model-scoped limit restores: the account answered about one model",
    { kind: "cooldown", reason: "quota", until: 1, strike: false, model: "claude-opus-4" },
    "restore",
  ],
  ["an OAuth 401 fails", { kind: "disable", reason: "401", temporary: true }, "fail"],
  [
    "an API key 401 is permanent",
    { kind: "disable", reason: "401", temporary: false },
    "permanent",
  ],
  ["a disable without the flag is permanent", { kind: "disable", reason: "402" }, "permanent"],
];

Deno.test("probeVerdict judges a probe by its answer's effect", async (t) => {
  for (const [name, effect, verdict] of ROWS) {
    await t.step(name, () => assert.equal(probeVerdict(effect), verdict));
  }
});

Deno.test("nextProbeWait doubles the wait up to a day", () => {
  const waits = [300_000];
  while (waits.length < 12) waits.push(nextProbeWait(waits.at(-1)!));
  assert.deepEqual(waits.slice(0, 6), [
    300_000,
    600_000,
    1_200_000,
    2_400_000,
    4_800_000,
    9_600_000,
  ]);
  assert.equal(waits.at(-1), 86_400_000);
  assert.equal(nextProbeWait(86_400_000), 86_400_000);
  assert.equal(nextProbeWait(50_000_000), 86_400_000);
});

Deno.test("nextProbeAt: temporary reasons only, probes on, after any running cooldown", () => {
  const since = 1_000_000;
  const temporary = { reason: "3 consecutive 403 responses", since, temporary: true };
  assert.equal(nextProbeAt(temporary, 0, 300_000), since + 300_000);
  assert.equal(nextProbeAt({ ...temporary, probeAt: since + 5 }, 0, 300_000), since + 5);
  assert.equal(nextProbeAt(temporary, since + 900_000, 300_000), since + 900_000, "cooldown first");
  assert.equal(nextProbeAt(temporary, 0, 0), undefined, "probeSeconds 0 turns probes off");
  assert.equal(nextProbeAt({ reason: "401", since }, 0, 300_000), undefined, "permanent");
  assert.equal(nextProbeAt(undefined, 0, 300_000), undefined, "not disabled");
});
