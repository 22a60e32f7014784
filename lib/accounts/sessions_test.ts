/** Session keys: headers first, then the body's `prompt_cache_key`, then `metadata.user_id`. */

import assert from "node:assert/strict";
import { sessionKeyOf } from "./sessions.ts";

Deno.test("session keys: first match wins, no key means none", () => {
  const cases: [Record<string, string>, unknown, string | undefined][] = [
    [{ session_id: "s1" }, { prompt_cache_key: "p" }, "h:s1"],
    [{ "session-id": "s2" }, {}, "h:s2"],
    [{ conversation_id: "c3" }, {}, "h:c3"],
    [{}, { prompt_cache_key: "p4", metadata: { user_id: "u" } }, "p:p4"],
    [{}, { metadata: { user_id: "user_abc_session_1" } }, "u:user_abc_session_1"],
    [{}, { model: "m", messages: [{ role: "user", content: 'say "user_id"' }] }, undefined],
    [{}, { model: "m" }, undefined],
  ];
  for (const [headers, body, expected] of cases) {
    assert.equal(
      sessionKeyOf(new Headers(headers), body),
      expected,
      JSON.stringify([headers, body]),
    );
  }
  assert.equal(sessionKeyOf(new Headers(), null), undefined);
  assert.equal(sessionKeyOf(new Headers(), undefined), undefined);
});
