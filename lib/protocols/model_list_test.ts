/** Table tests for model listings across the two APIs (`model_list.ts`). */

import assert from "node:assert/strict";
import { convertListing, isModelListing, listingPath } from "./model_list.ts";

const LISTINGS: [string, string, boolean][] = [
  ["GET", "/models", true],
  ["GET", "/models/claude-sonnet-4-5", true],
  ["POST", "/models", false],
  ["GET", "/modelsx", false],
  ["GET", "/messages", false],
];

for (const [method, path, expected] of LISTINGS) {
  Deno.test(`model listing: ${method} ${path}`, () => {
    assert.equal(isModelListing(method, path), expected);
  });
}

Deno.test("listing path: one page of Anthropic's list for an OpenAI client, else as it is", () => {
  assert.equal(listingPath("/models", "openai", "anthropic"), "/models?limit=1000");
  assert.equal(listingPath("/models/x", "openai", "anthropic"), "/models/x");
  assert.equal(listingPath("/models", "anthropic", "openai"), "/models");
  assert.equal(listingPath("/models", "openai", "openai"), "/models");
});

const ANTHROPIC_LIST = {
  data: [
    { type: "model", id: "claude-a", display_name: "Claude A", created_at: "2025-02-19T00:00:00Z" },
    { type: "model", id: "claude-b", display_name: "Claude B", created_at: "not a date" },
    { type: "model", display_name: "no id" },
  ],
  has_more: false,
  first_id: "claude-a",
  last_id: "claude-b",
};

const OPENAI_LIST = {
  object: "list",
  data: [
    { id: "gpt-a", object: "model", created: 1_700_000_000, owned_by: "openai" },
    { id: "gpt-b", object: "model", owned_by: "system" },
  ],
};

const CONVERSIONS: [string, unknown, "openai" | "anthropic", unknown][] = [
  ["Anthropic's list for an OpenAI client", ANTHROPIC_LIST, "openai", {
    object: "list",
    data: [
      { id: "claude-a", object: "model", created: 1_739_923_200, owned_by: "anthropic" },
      { id: "claude-b", object: "model", created: 0, owned_by: "anthropic" },
    ],
  }],
  ["OpenAI's list for an Anthropic client", OPENAI_LIST, "anthropic", {
    data: [
      { type: "model", id: "gpt-a", display_name: "gpt-a", created_at: "2023-11-14T22:13:20Z" },
      { type: "model", id: "gpt-b", display_name: "gpt-b", created_at: "1970-01-01T00:00:00Z" },
    ],
    has_more: false,
    first_id: "gpt-a",
    last_id: "gpt-b",
  }],
  ["one Anthropic model", ANTHROPIC_LIST.data[0], "openai", {
    id: "claude-a",
    object: "model",
    created: 1_739_923_200,
    owned_by: "anthropic",
  }],
  ["an empty list", { data: [] }, "anthropic", {
    data: [],
    has_more: false,
    first_id: null,
    last_id: null,
  }],
  ["an error body is left alone", { type: "error", error: { type: "x" } }, "openai", undefined],
  ["not JSON", "text", "openai", undefined],
];

for (const [name, body, to, expected] of CONVERSIONS) {
  Deno.test(`convert listing: ${name}`, () => {
    assert.deepEqual(convertListing(body, to), expected);
  });
}
