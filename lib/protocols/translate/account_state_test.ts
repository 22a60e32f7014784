import assert from "node:assert/strict";
import {
  dropAccountState,
  keepOwnThinking,
  keepsUnknownThinking,
  thinkingMarks,
} from "./account_state.ts";

Deno.test("account state: signed thinking leaves a Messages request, the conversation stays", () => {
  const body = {
    model: "claude",
    max_tokens: 100,
    thinking: { type: "enabled", budget_tokens: 1024 },
    messages: [
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "plan", signature: "SIG" },
          { type: "redacted_thinking", data: "ENC" },
          { type: "text", text: "Hello" },
        ],
      },
      { role: "user", content: "and?" },
      { role: "assistant", content: [{ type: "thinking", thinking: "t", signature: "S" }] },
    ],
  };
  const result = dropAccountState("messages", body);
  assert.ok(result.ok);
  assert.deepEqual((result.body as typeof body).messages, [
    { role: "user", content: "hi" },
    { role: "assistant", content: [{ type: "text", text: "Hello" }] },
    { role: "user", content: "and?" },
  ]);
  // The last assistant turn lost its thinking, so thinking mode must go too.
  assert.equal((result.body as { thinking?: unknown }).thinking, undefined);
  assert.deepEqual(result.dropped.map((entry) => entry.field), [
    "messages[1].content[0]",
    "messages[1].content[1]",
    "messages[3].content[0]",
    "thinking",
  ]);
  assert.equal(body.messages[1].content.length, 3, "the input is not changed");
});

Deno.test("account state: thinking mode stays when the last assistant turn had no signed thinking", () => {
  const body = {
    thinking: { type: "enabled", budget_tokens: 1024 },
    messages: [
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "t", signature: "S" }, { type: "text", text: "a" }],
      },
      { role: "assistant", content: [{ type: "text", text: "b" }] },
    ],
  };
  const result = dropAccountState("messages", body);
  assert.ok(result.ok && (result.body as typeof body).thinking !== undefined);
});

Deno.test("account state: Responses reasoning items and item ids go", () => {
  const body = {
    model: "gpt-5",
    input: [
      { type: "message", id: "msg_1", role: "user", content: "hi" },
      {
        type: "reasoning",
        id: "rs_1",
        summary: [{ type: "summary_text", text: "plan" }],
        encrypted_content: "gAAA",
      },
      { type: "function_call", id: "fc_1", call_id: "call_1", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "ok" },
    ],
  };
  const result = dropAccountState("responses", body);
  assert.ok(result.ok);
  assert.deepEqual((result.body as typeof body).input, [
    { type: "message", role: "user", content: "hi" },
    { type: "function_call", call_id: "call_1", name: "f", arguments: "{}" },
    { type: "function_call_output", call_id: "call_1", output: "ok" },
  ]);
  assert.deepEqual(result.dropped.map((entry) => entry.field), ["input[].id", "input[1]"]);
});

Deno.test("account state: a stored conversation does not move to another account", () => {
  const cases: [unknown, string][] = [
    [{ previous_response_id: "resp_1", input: "more" }, "previous_response_id"],
    [{ conversation: "conv_1", input: "more" }, "conversation"],
    [{ input: [{ type: "item_reference", id: "msg_1" }] }, "input[0]"],
  ];
  for (const [body, field] of cases) {
    const result = dropAccountState("responses", body);
    assert.ok(!result.ok && result.field === field, field);
  }
});

Deno.test("account state: Chat requests carry none", () => {
  const body = { model: "m", messages: [{ role: "user", content: "x" }] };
  const result = dropAccountState("chat", body);
  assert.ok(result.ok && result.body === body && result.dropped.length === 0);
});

Deno.test("account state: each account keeps the thinking it signed, by signer, whatever the binding", () => {
  const signers = new Map([["SIG-A", "a"], ["ENC-A", "a"], ["SIG-B", "b"]]);
  const signerOf = (mark: string) => signers.get(mark);
  const body = {
    thinking: { type: "enabled", budget_tokens: 1024 },
    messages: [
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "a thinks", signature: "SIG-A" },
          { type: "redacted_thinking", data: "ENC-A" },
          { type: "text", text: "from a" },
        ],
      },
      { role: "user", content: "more" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "b thinks", signature: "SIG-B" },
          { type: "thinking", thinking: "who?", signature: "SIG-UNKNOWN" },
          { type: "text", text: "from b" },
        ],
      },
      { role: "user", content: "and?" },
    ],
  };
  type Row = [account: string, unknownIsForeign: boolean, dropped: string[]];
  const table: Row[] = [
    // A keeps its own two blocks, loses B's; the unknown one stays unless the conversation moved.
    ["a", false, ["messages[3].content[0]"]],
    ["a", true, ["messages[3].content[0]", "messages[3].content[1]", "thinking"]],
    ["b", false, ["messages[1].content[0]", "messages[1].content[1]"]],
    ["b", true, ["messages[1].content[0]", "messages[1].content[1]", "messages[3].content[1]"]],
    // An account that signed nothing here keeps only what nobody is known to have signed.
    ["c", false, ["messages[1].content[0]", "messages[1].content[1]", "messages[3].content[0]"]],
  ];
  for (const [account, unknownIsForeign, dropped] of table) {
    const result = keepOwnThinking(body, account, signerOf, unknownIsForeign);
    const label = `${account}, unknown ${unknownIsForeign ? "foreign" : "kept"}`;
    assert.deepEqual(result.dropped.map((entry) => entry.field), dropped, label);
    const sent = JSON.stringify(result.body);
    for (const [mark, signer] of signers) {
      assert.equal(sent.includes(mark), signer === account, `${label}: ${mark}`);
    }
    assert.match(sent, /from a.*from b/, `${label}: the conversation stays`);
  }
  assert.equal(body.messages[1].content.length, 3, "the input is not changed");
});

Deno.test("account state: a body with nothing to drop comes back as it is", () => {
  const body = {
    messages: [{
      role: "assistant",
      content: [{ type: "thinking", thinking: "t", signature: "S" }, { type: "text", text: "x" }],
    }],
  };
  const own = keepOwnThinking(body, "a", () => "a", true);
  assert.ok(own.body === body && own.dropped.length === 0);
  const unknown = keepOwnThinking(body, "a", () => undefined, false);
  assert.ok(unknown.body === body && unknown.dropped.length === 0);
});

Deno.test("account state: the marks of a request's signed thinking, in order", () => {
  const body = {
    messages: [
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "t", signature: "S1" },
          { type: "redacted_thinking", data: "D1" },
          { type: "thinking", thinking: "translated", signature: "" },
          { type: "text", text: "x", signature: "not a thinking block" },
        ],
      },
      { role: "assistant", content: [{ type: "thinking", thinking: "u", signature: "S2" }] },
    ],
  };
  assert.deepEqual(thinkingMarks(body), ["S1", "D1", "S2"]);
  assert.deepEqual(thinkingMarks({ messages: "nope" }), []);
  assert.deepEqual(thinkingMarks(null), []);
});

Deno.test("account state: thinking of unknown signer stays only where the conversation came from", () => {
  type Row = [
    account: string,
    bound: string | undefined,
    first: string | undefined,
    keeps: boolean,
  ];
  const table: Row[] = [
    ["a", "a", "a", true], // bound and planned first
    ["b", "a", "a", false], // a failover attempt
    ["b", "a", "b", false], // the bound account is cooling: b goes first, but did not make it
    ["a", undefined, "a", true], // no session: the account planned first
    ["b", undefined, "a", false], // no session, a failover attempt
    ["a", undefined, undefined, false],
  ];
  for (const [account, bound, first, keeps] of table) {
    assert.equal(
      keepsUnknownThinking(account, bound, first),
      keeps,
      `${account} ${bound} ${first}`,
    );
  }
});
