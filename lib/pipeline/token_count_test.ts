/** Table tests for when the gateway counts `count_tokens` itself (`token_count.ts`). */

import assert from "node:assert/strict";
import { countsLocally, localTokenCount } from "./token_count.ts";

const COUNT = { method: "POST", upstreamPath: "/messages/count_tokens" };
const CODEX_ONLY = { translate: true, anthropicAccounts: 0, otherAccounts: 1 };

const ROWS: [string, typeof COUNT, typeof CODEX_ONLY, boolean][] = [
  ["count_tokens on a group without Anthropic accounts", COUNT, CODEX_ONLY, true],
  ["an Anthropic account counts exactly", COUNT, { ...CODEX_ONLY, anthropicAccounts: 1 }, false],
  ["translation off: admission's 400", COUNT, { ...CODEX_ONLY, translate: false }, false],
  ["an empty group: admission's 400", COUNT, { ...CODEX_ONLY, otherAccounts: 0 }, false],
  [
    "a Messages call is translated, not counted",
    {
      ...COUNT,
      upstreamPath: "/messages",
    },
    CODEX_ONLY,
    false,
  ],
  ["GET is not the endpoint", { ...COUNT, method: "GET" }, CODEX_ONLY, false],
];

for (const [name, request, group, expected] of ROWS) {
  Deno.test(`counts locally: ${name}`, () => {
    assert.equal(countsLocally(request, group), expected);
  });
}

Deno.test("local token count: the estimate in Anthropic's shape, or 400", async () => {
  const body = new TextEncoder().encode(
    JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
  );
  const answer = localTokenCount(body);
  assert.ok(answer instanceof Response);
  assert.equal(answer.headers.get("x-switchyard-token-count"), "estimate");
  assert.deepEqual(await answer.json(), { input_tokens: 8 });
  for (const bad of [null, new TextEncoder().encode("{not json"), new TextEncoder().encode("[]")]) {
    const refused = localTokenCount(bad);
    assert.ok(!(refused instanceof Response) && refused.error.status === 400);
  }
});
