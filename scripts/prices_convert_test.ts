import assert from "node:assert/strict";
import { snapshotModel } from "./prices_convert.ts";

Deno.test("a package model becomes a snapshot row: token prices only, tier bases, prices in force", () => {
  const match = { equals: "m" };
  assert.deepEqual(
    snapshotModel("anthropic", {
      id: "m",
      match,
      prices: {
        input_mtok: { base: 3, tiers: [{ start: 200000, price: 6 }] },
        output_mtok: 15,
        cache_read_mtok: 0.3,
        cache_write_mtok: 3.75,
        cache_write_1h_mtok: 6,
        web_searches_kcount: 10,
      },
    }, "2026-12-06"),
    {
      id: "m",
      provider: "anthropic",
      match,
      input: 3,
      output: 15,
      cachedInput: 0.3,
      cacheWrite: 3.75,
      cacheWrite1h: 6,
      tiered: true,
    },
  );
  const dated = {
    id: "o3",
    match,
    prices: [
      { prices: { input_mtok: 10, output_mtok: 40 } },
      {
        constraint: { type: "start_date", start_date: "2025-06-10" },
        prices: { input_mtok: 2, output_mtok: 8 },
      },
      {
        constraint: { type: "start_date", start_date: "2030-01-01" },
        prices: { input_mtok: 1, output_mtok: 1 },
      },
    ],
  };
  assert.equal(snapshotModel("openai", dated, "2025-06-09")?.input, 10);
  assert.equal(snapshotModel("openai", dated, "2026-12-06")?.input, 2);
  assert.equal(
    snapshotModel("openai", { id: "tts", match, prices: { input_mtok: 1 } }, "2026-12-06"),
    undefined,
  );
  assert.equal(snapshotModel("openai", { id: "x", match, prices: 3 }, "2026-12-06"), undefined);
});
