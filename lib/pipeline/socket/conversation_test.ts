import assert from "node:assert/strict";
import type { Json } from "../../protocols/json.ts";
import { Conversation, inputItems, REMEMBERED_RESPONSES, TurnOutput } from "./conversation.ts";

const user = (text: string): Json => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});

Deno.test("Conversation: a turn continuing from a known response gets the whole input", () => {
  const conversation = new Conversation();
  const first = conversation.expand({ model: "m", input: "hello" });
  assert.deepEqual(first.input, [user("hello")]);
  assert.deepEqual(first.body, { model: "m", input: "hello" }); // nothing to expand
  const call = { type: "function_call", call_id: "c1", name: "f", arguments: "{}" };
  conversation.remember("resp_1", first.input, [call]);

  const result = { type: "function_call_output", call_id: "c1", output: "42" };
  const second = conversation.expand({
    model: "m",
    previous_response_id: "resp_1",
    input: [result],
  });
  assert.deepEqual(second.body, { model: "m", input: [user("hello"), call, result] });
  assert.deepEqual(second.input, [user("hello"), call, result]);

  // Unknown here (made over HTTP, or on another connection): sent as given.
  const other = { model: "m", previous_response_id: "resp_http", input: [result] };
  assert.deepEqual(conversation.expand(other).body, other);
});

Deno.test("Conversation: remembers only the last few responses", () => {
  const conversation = new Conversation();
  for (let i = 0; i <= REMEMBERED_RESPONSES; i++) conversation.remember(`r${i}`, [], []);
  assert.equal(conversation.knows("r0"), false);
  assert.equal(conversation.knows(`r${REMEMBERED_RESPONSES}`), true);
});

Deno.test("inputItems: a string is one user message; a list stays", () => {
  assert.deepEqual(inputItems("hi"), [user("hi")]);
  assert.deepEqual(inputItems([user("a")]), [user("a")]);
  assert.deepEqual(inputItems(undefined), []);
});

Deno.test("TurnOutput: items from output_item.done by index, else the final output", () => {
  const a = { type: "message", id: "a" };
  const b = { type: "reasoning", id: "b", encrypted_content: "x" };
  const done = new TurnOutput();
  for (
    const event of [
      { type: "response.created", response: { id: "resp_9", output: [] } },
      { type: "response.output_item.done", output_index: 1, item: a },
      { type: "response.output_item.done", output_index: 0, item: b },
      { type: "response.completed", response: { id: "resp_9", output: [] } },
    ]
  ) done.push(JSON.stringify(event));
  assert.equal(done.id, "resp_9");
  assert.equal(done.completed, true);
  assert.deepEqual(done.items(), [b, a]);

  const final = new TurnOutput();
  final.push(JSON.stringify({ type: "response.completed", response: { id: "r", output: [a] } }));
  assert.deepEqual(final.items(), [a]);

  const failed = new TurnOutput();
  failed.push(JSON.stringify({ type: "response.failed", response: { id: "r", output: [] } }));
  failed.push("not json");
  assert.equal(failed.completed, false);
});

Deno.test("TurnOutput: ended by its last event, whichever it is; not by content", () => {
  const ends = (events: unknown[]) => {
    const output = new TurnOutput();
    for (const event of events) output.push(JSON.stringify(event));
    return output.ended;
  };
  const created = { type: "response.created", response: { id: "resp_1" } };
  const delta = { type: "response.output_text.delta", delta: "hi" };
  assert.equal(ends([created, delta]), false);
  for (const type of ["response.completed", "response.failed", "response.incomplete"]) {
    assert.equal(ends([created, delta, { type, response: { id: "resp_1" } }]), true, type);
  }
  assert.equal(ends([{ type: "error", error: { message: "overloaded" } }]), true);
});

Deno.test("Conversation: replayed output items lose their ids, keep the rest (store: false)", () => {
  const conversation = new Conversation();
  const first = conversation.expand({ model: "m", store: false, input: "hello" });
  const reasoning = {
    type: "reasoning",
    id: "rs_1",
    summary: [{ type: "summary_text", text: "Think." }],
    encrypted_content: "gAAAA",
  };
  const reply = {
    type: "message",
    id: "msg_1",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text: "Hi.", annotations: [] }],
  };
  const call = { type: "function_call", id: "fc_1", call_id: "c1", name: "f", arguments: "{}" };
  conversation.remember("resp_1", first.input, [reasoning, reply, call]);
  const result = { type: "function_call_output", call_id: "c1", output: "42" };
  const second = conversation.expand({
    model: "m",
    store: false,
    previous_response_id: "resp_1",
    input: [result],
  });
  const withoutId = ({ id: _id, ...rest }: { id: string }) => rest;
  const expected = [user("hello"), withoutId(reasoning), withoutId(reply), withoutId(call), result];
  assert.deepEqual(second.body, { model: "m", store: false, input: expected });
  assert.deepEqual(second.input, expected);
});
