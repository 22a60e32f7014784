/** Tests for the config-seeded setting the management API may replace (`seeded_setting.ts`). */

import assert from "node:assert/strict";
import { SeededSetting } from "./seeded_setting.ts";

const KEY = ["switchyard", "test-setting"];
const readNumbers = (stored: unknown): number[] => {
  if (!Array.isArray(stored) || !stored.every((n) => typeof n === "number")) {
    throw new Error("not a list of numbers");
  }
  return stored;
};

Deno.test("a seeded setting: the seed, the API's value in every process, then the seed again", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const seed = [1];
    const one = await SeededSetting.open(kv, KEY, "numbers", seed, readNumbers);
    const two = await SeededSetting.open(kv, KEY, "numbers", seed, readNumbers);
    assert.deepEqual(one.state, { source: "config", value: [1] });

    await one.replace([2, 3]);
    assert.equal(one.state.source, "api");
    assert.deepEqual(one.state.value, [2, 3]);
    assert.match(one.state.updatedAt ?? "", /^\d{4}-\d\d-\d\dT/);
    // Stored in the envelope earlier versions wrote: `{ [field]: value, updatedAt }`.
    const stored = (await kv.get<Record<string, unknown>>(KEY)).value;
    assert.deepEqual(stored?.numbers, [2, 3]);

    assert.deepEqual(two.state.value, [1], "the other process keeps its value until it reloads");
    await two.reload();
    assert.deepEqual(two.state.value, [2, 3]);

    await two.reset();
    // Reset is a write, not a delete: the key's versionstamp only moves forward (see reset()).
    assert.deepEqual(Object.keys((await kv.get<Record<string, unknown>>(KEY)).value ?? {}), [
      "updatedAt",
    ]);
    await one.reload();
    assert.equal(one.state.value, seed, "the seed itself, not a copy");
    assert.equal(one.state.source, "config");
  } finally {
    kv.close();
  }
});

Deno.test("a stored value that no longer reads is passed over for the seed", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await kv.set(KEY, { numbers: ["x"], updatedAt: Date.now() });
    const setting = await SeededSetting.open(kv, KEY, "numbers", [7], readNumbers);
    assert.deepEqual(setting.state, { source: "config", value: [7] });
  } finally {
    kv.close();
  }
});
