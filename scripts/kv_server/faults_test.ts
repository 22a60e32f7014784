import assert from "node:assert/strict";
import { FaultError, parseFaultChange } from "./faults.ts";

Deno.test("faults: each switch parses, with expireToken apart", () => {
  const table: [unknown, unknown][] = [
    [{ outage: true }, { faults: { outage: "503" }, expireToken: false }],
    [{ outage: "drop" }, { faults: { outage: "drop" }, expireToken: false }],
    [{ outage: "cut" }, { faults: { outage: "cut" }, expireToken: false }],
    [{ outage: false }, { faults: { outage: false }, expireToken: false }],
    [{ latencyMs: 40, failRate: 0.25 }, {
      faults: { latencyMs: 40, failRate: 0.25 },
      expireToken: false,
    }],
    [{ hang: true, tokenTtlMs: 5000 }, {
      faults: { hang: true, tokenTtlMs: 5000 },
      expireToken: false,
    }],
    [{ watchDelayMs: 300 }, { faults: { watchDelayMs: 300 }, expireToken: false }],
    [{ expireToken: true }, { faults: {}, expireToken: true }],
    [{}, { faults: {}, expireToken: false }],
  ];
  for (const [body, expected] of table) assert.deepEqual(parseFaultChange(body), expected);
});

Deno.test("faults: a typo or a value out of range is refused, not ignored", () => {
  for (
    const body of [
      null,
      [],
      "outage",
      { outage: "yes" },
      { latency: 40 },
      { latencyMs: -1 },
      { failRate: 1.5 },
      { failRate: "0.5" },
      { hang: 1 },
      { tokenTtlMs: 0 },
      { watchDelayMs: -5 },
      { expireToken: "now" },
    ]
  ) {
    assert.throws(() => parseFaultChange(body), FaultError, JSON.stringify(body));
  }
});
