/**
 * What reading a body's fields costs per request, against the parse alone:
 * `deno bench lib/protocols/body_fields_bench.ts` (not part of the test run).
 * A small chat body and a Codex-sized Responses body with a long history.
 */

import { readBodyFields } from "./body_fields.ts";
import { repeatedTopLevelKey } from "./json_keys.ts";
import { storedReferences } from "./stored_refs.ts";

const encoder = new TextEncoder();
const small = encoder.encode(JSON.stringify({
  model: "gpt-4o-mini",
  stream: true,
  messages: [{ role: "system", content: "Be brief." }, {
    role: "user",
    content: "ping ".repeat(40),
  }],
}));
const turns = Array.from({ length: 120 }, (_, i) => [
  {
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: `step ${i} `.repeat(20) }],
  },
  { type: "function_call", call_id: `call_${i}`, name: "shell", arguments: '{"cmd":["ls","-la"]}' },
  { type: "function_call_output", call_id: `call_${i}`, output: "total 0\n".repeat(30) },
]).flat();
const codex = encoder.encode(JSON.stringify({
  model: "gpt-5-codex",
  instructions: "You are a coding agent. ".repeat(200),
  input: turns,
  tools: [{ type: "function", name: "shell", parameters: { type: "object", properties: {} } }],
  stream: true,
  store: false,
  prompt_cache_key: "session-1",
}));

for (
  const [name, body] of [["chat 0.3 KB", small], [
    `codex ${codex.byteLength >> 10} KB`,
    codex,
  ]] as const
) {
  const text = new TextDecoder().decode(body);
  Deno.bench(`${name}: decode + JSON.parse`, { group: name, baseline: true }, () => {
    JSON.parse(new TextDecoder().decode(body));
  });
  Deno.bench(`${name}: readBodyFields`, { group: name }, () => {
    readBodyFields(body, "json");
  });
  Deno.bench(`${name}: readBodyFields + storedReferences`, { group: name }, () => {
    const read = readBodyFields(body, "json");
    if (read.ok && read.fields.json) storedReferences(read.fields.json, read.fields.text);
  });
  Deno.bench(`${name}: repeatedTopLevelKey alone`, { group: name }, () => {
    repeatedTopLevelKey(text);
  });
}
