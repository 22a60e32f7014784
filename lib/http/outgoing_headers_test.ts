/** Tests for the upstream request's header list (`outgoing_headers.ts`): edited as a `Headers` is. */

import assert from "node:assert/strict";
import { type HeaderEditor, OutgoingHeaders } from "./outgoing_headers.ts";

/** Every edit applied to a `Headers` and to the pairs alike; their lists must agree. */
const EDITS: [string, (headers: HeaderEditor) => unknown][] = [
  ["set a new name", (h) => h.set("Authorization", "Bearer a")],
  ["set replaces, any case", (h) => h.set("X-API-Key", "k2")],
  ["delete, any case", (h) => h.delete("OpenAI-Beta")],
  ["delete an absent name", (h) => h.delete("nope")],
  ["get joins", (h) => h.get("Accept")],
  ["get absent", (h) => h.get("x-missing")],
  ["has", (h) => [h.has("CONTENT-TYPE"), h.has("x-missing")]],
];

const CLIENT: [string, string][] = [
  ["accept", "application/json, text/plain"],
  ["content-type", "application/json"],
  ["openai-beta", "responses=experimental"],
  ["x-api-key", "client-key"],
];

Deno.test("the pairs are edited as a Headers is", () => {
  const pairs = new OutgoingHeaders(CLIENT);
  const headers = new Headers(CLIENT);
  for (const [what, edit] of EDITS) {
    assert.deepEqual(edit(pairs), edit(headers), what);
    const sorted = [...pairs.pairs].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    assert.deepEqual(sorted, [...headers], what);
  }
});

Deno.test("the client's pairs are copied, not changed", () => {
  const client: [string, string][] = [["x-api-key", "client-key"]];
  const headers = new OutgoingHeaders(client);
  headers.set("x-api-key", "account-key");
  headers.set("authorization", "Bearer t");
  assert.deepEqual(client, [["x-api-key", "client-key"]]);
  assert.deepEqual(headers.pairs, [["x-api-key", "account-key"], ["authorization", "Bearer t"]]);
});
