/** Table tests for when the gateway counts `count_tokens` itself (`token_count.ts`). */

import assert from "node:assert/strict";
import {
  estimateInstead,
  localTokenCount,
  type TokenCounting,
  tokenCounting,
} from "./token_count.ts";
import type { JsonObject } from "../protocols/json.ts";

const COUNT = { method: "POST", upstreamPath: "/messages/count_tokens" };
const CODEX_ONLY = { translate: true, anthropicAccounts: 0, otherAccounts: 1 };

const ROWS: [string, typeof COUNT, typeof CODEX_ONLY, TokenCounting | undefined][] = [
  ["count_tokens on a group without Anthropic accounts", COUNT, CODEX_ONLY, "local"],
  ["an Anthropic account counts; estimated when it cannot", COUNT, {
    ...CODEX_ONLY,
    anthropicAccounts: 1,
  }, "fallback"],
  ["Anthropic accounts only: their answer, errors too", COUNT, {
    ...CODEX_ONLY,
    anthropicAccounts: 1,
    otherAccounts: 0,
  }, undefined],
  ["translation off: admission's 400", COUNT, { ...CODEX_ONLY, translate: false }, undefined],
  ["an empty group: admission's 400", COUNT, { ...CODEX_ONLY, otherAccounts: 0 }, undefined],
  [
    "a Messages call is translated, not counted",
    {
      ...COUNT,
      upstreamPath: "/messages",
    },
    CODEX_ONLY,
    undefined,
  ],
  ["GET is not the endpoint", { ...COUNT, method: "GET" }, CODEX_ONLY, undefined],
];

for (const [name, request, group, expected] of ROWS) {
  Deno.test(`token counting: ${name}`, () => {
    assert.equal(tokenCounting(request, group), expected);
  });
}

const STATUSES: [number, boolean][] = [
  [200, false],
  [400, false],
  [404, false],
  [413, false],
  [429, true],
  [500, true],
  [503, true],
  [529, true],
];

for (const [status, expected] of STATUSES) {
  Deno.test(`estimate instead of a fallback count's ${status}: ${expected}`, () => {
    assert.equal(estimateInstead(status), expected);
  });
}

Deno.test("local token count: the estimate in Anthropic's shape, or 400", async () => {
  const answer = localTokenCount({ messages: [{ role: "user", content: "hi" }] });
  assert.ok(answer instanceof Response);
  assert.equal(answer.headers.get("x-switchyard-token-count"), "estimate");
  assert.deepEqual(await answer.json(), { input_tokens: 8 });
  const bads: (JsonObject | undefined)[] = [undefined, {}, { messages: "hi" }];
  for (const bad of bads) {
    const refused = localTokenCount(bad);
    assert.ok(!(refused instanceof Response) && refused.error.status === 400);
  }
});
