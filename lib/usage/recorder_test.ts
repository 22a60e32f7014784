import assert from "node:assert/strict";
import { utcDay } from "./recorder.ts";

Deno.test("utcDay names the same day as toISOString, around midnights and back again", () => {
  const midnight = Date.UTC(2026, 10, 25);
  const times = [
    midnight,
    midnight - 1,
    midnight + 1,
    midnight + 86_399_999,
    midnight + 86_400_000,
    midnight - 1,
    0,
    -1,
    Date.UTC(1969, 11, 31, 23, 59),
    Date.UTC(2024, 1, 29, 12),
    midnight + 43_200_000.5,
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  ];
  for (const at of times) {
    assert.equal(utcDay(at), new Date(at).toISOString().slice(0, 10), `${at}`);
  }
  assert.throws(() => utcDay(NaN), RangeError);
});
