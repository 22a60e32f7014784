/** Table tests for model routing (`models.ts`). */

import assert from "node:assert/strict";
import {
  type AccountModels,
  modelAllowed,
  modelMatches,
  resolveAlias,
  upstreamModel,
} from "./models.ts";

const ROWS: [string, AccountModels | undefined, string, string | null][] = [
  ["no models: any name passes", undefined, "anything", "anything"],
  ["a list serves its names", ["gpt-5", "gpt-5-mini"], "gpt-5", "gpt-5"],
  ["a list refuses others", ["gpt-5"], "gpt-4.1", null],
  ["a list with a wildcard", ["claude-*"], "claude-sonnet-4-5", "claude-sonnet-4-5"],
  ["a map renames", { "gpt-5": "gpt-5-codex" }, "gpt-5", "gpt-5-codex"],
  ["a map with a wildcard key", { "claude-*": "gpt-5" }, "claude-opus-4", "gpt-5"],
  ["an exact key beats a wildcard", { "claude-*": "gpt-5", "claude-x": "o3" }, "claude-x", "o3"],
  ["a map value * keeps the name", { "gpt-*": "*" }, "gpt-5", "gpt-5"],
  ["a map refuses others", { "gpt-5": "gpt-5-codex" }, "o3", null],
];

for (const [name, models, asked, expected] of ROWS) {
  Deno.test(`upstreamModel: ${name}`, () => assert.equal(upstreamModel(models, asked), expected));
}

Deno.test("modelMatches, resolveAlias, modelAllowed", () => {
  assert.ok(modelMatches("a.b*", "a.bc"));
  assert.ok(!modelMatches("a.b*", "axbc"), "dots are literal");
  assert.equal(resolveAlias({ fast: "gpt-5-mini" }, "fast"), "gpt-5-mini");
  assert.equal(resolveAlias({ fast: "gpt-5-mini" }, "gpt-5"), "gpt-5");
  assert.equal(resolveAlias(undefined, "x"), "x");
  assert.ok(modelAllowed(undefined, "x"));
  assert.ok(modelAllowed(["gpt-*"], "gpt-5"));
  assert.ok(!modelAllowed(["gpt-*"], "claude-opus-4"));
});
