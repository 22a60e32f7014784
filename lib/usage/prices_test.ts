import assert from "node:assert/strict";
import { PriceTable, ruleMatches, SNAPSHOT_SOURCE, type SnapshotPrice } from "./prices.ts";

Deno.test("snapshot match rules: the source's kinds, case-insensitive, nested", () => {
  const cases: [Parameters<typeof ruleMatches>[0], string, boolean][] = [
    [{ equals: "gpt-5" }, "gpt-5", true],
    [{ equals: "gpt-5" }, "GPT-5", true],
    [{ equals: "gpt-5" }, "gpt-5-mini", false],
    [{ starts_with: "claude-sonnet-4-5" }, "claude-sonnet-4-5-20250929", true],
    [{ ends_with: "-latest" }, "gpt-4o-latest", true],
    [{ contains: "haiku" }, "claude-3-5-haiku", true],
    [{ regex: "^o3(-\\d+)?$" }, "o3-2025", true],
    [{ regex: "^claude-opus-5-\\d{8}$" }, "Claude-Opus-5-20260101", true],
    [{ regex: "^GPT-6-sol$" }, "gpt-6-sol", true],
    [{ regex: "^gpt-6-sol$" }, "gpt-6-sol-mini", false],
    [{ regex: "(" }, "anything", false],
    [{ or: [{ equals: "a" }, { equals: "b" }] }, "b", true],
    [{ and: [{ starts_with: "a" }, { ends_with: "z" }] }, "abz", true],
    [{ and: [{ starts_with: "a" }, { ends_with: "z" }] }, "abc", false],
    [{ unknown: "x" }, "x", false],
  ];
  for (const [rule, name, expected] of cases) {
    assert.equal(ruleMatches(rule, name), expected, `${JSON.stringify(rule)} ${name}`);
  }
});

Deno.test("a price comes from an exact override, then the most literal pattern, then the snapshot", () => {
  const rows: SnapshotPrice[] = [
    { id: "gpt-5", provider: "openai", match: { equals: "gpt-5" }, input: 1.25, output: 10 },
    { id: "claude", provider: "anthropic", match: { contains: "claude" }, input: 3, output: 15 },
  ];
  const table = new PriceTable({
    "claude-*": { input: 1, output: 1 },
    "claude-opus-*": { input: 2, output: 2 },
    "gpt-5": { input: 9, output: 9 },
  }, rows);
  assert.deepEqual(table.priceOf("gpt-5"), {
    price: { input: 9, output: 9 },
    id: "gpt-5",
    source: "override",
  });
  assert.equal(table.priceOf("claude-opus-4")?.id, "claude-opus-*");
  assert.equal(table.priceOf("claude-haiku")?.id, "claude-*");
  assert.deepEqual(table.priceOf("my-claude")?.price, { input: 3, output: 15 });
  assert.equal(table.priceOf("my-claude")?.source, "snapshot");
  assert.equal(table.priceOf("unknown-model"), undefined);
  // The cache answers the same the second time.
  assert.equal(table.priceOf("unknown-model"), undefined);
  assert.equal(table.priceOf("claude-haiku")?.id, "claude-*");
});

Deno.test("the shipped snapshot says where it is from and prices the common models", () => {
  assert.match(SNAPSHOT_SOURCE.source, /^npm:@pydantic\/genai-prices@\d+\.\d+\.\d+$/);
  assert.match(SNAPSHOT_SOURCE.date, /^\d{4}-\d{2}-\d{2}$/);
  const table = new PriceTable();
  for (
    const model of ["gpt-5", "gpt-4o-mini", "claude-sonnet-4-5-20250929", "claude-3-5-haiku-latest"]
  ) {
    const priced = table.priceOf(model);
    assert.ok(priced, model);
    assert.ok(priced.price.input > 0 && priced.price.output > 0, model);
  }
  // Anthropic's 1-hour cache writes are priced apart from the 5-minute ones.
  const sonnet = table.priceOf("claude-sonnet-4-5")!.price;
  assert.ok(sonnet.cacheWrite1h! > sonnet.cacheWrite!);
});
