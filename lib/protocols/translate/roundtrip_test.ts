import assert from "node:assert/strict";
import { translateRequest, translateResponse } from "./translate.ts";

for (const client of ["chat", "responses"] as const) {
  Deno.test(`round trip: a ${client} client's tool call through Anthropic and its result back keep one id`, () => {
    // The upstream answer, translated for the client, gives the client its call ids…
    const answer = JSON.parse(JSON.stringify(translateResponse("messages", client, {
      id: "msg_1",
      model: "claude",
      content: [
        { type: "tool_use", id: "toolu_01X", name: "get_weather", input: { city: "Paris" } },
        { type: "tool_use", id: "toolu_01Y", name: "get_weather", input: { city: "Oslo" } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 1, output_tokens: 1 },
    }, 1)));
    // …the client sends the calls back in history with its results…
    const next = client === "chat"
      ? {
        model: "m",
        messages: [
          { role: "user", content: "weather?" },
          answer.choices[0].message,
          ...answer.choices[0].message.tool_calls.map((call: { id: string }) => ({
            role: "tool",
            tool_call_id: call.id,
            content: `sunny ${call.id}`,
          })),
        ],
      }
      : {
        model: "m",
        input: [
          { role: "user", content: "weather?" },
          ...answer.output,
          ...answer.output.map((item: { call_id: string }) => ({
            type: "function_call_output",
            call_id: item.call_id,
            output: `sunny ${item.call_id}`,
          })),
        ],
      };
    // …and the upstream sees results that name its own tool_use ids.
    const result = translateRequest(client, "messages", next);
    assert.ok(result.ok);
    const messages =
      (result.body as { messages: { role: string; content: Record<string, unknown>[] }[] })
        .messages;
    assert.deepEqual(messages[1].content.map((block) => block.id), ["toolu_01X", "toolu_01Y"]);
    assert.deepEqual(messages[2].content.map((block) => [block.tool_use_id, block.content]), [
      ["toolu_01X", [{ type: "text", text: "sunny toolu_01X" }]],
      ["toolu_01Y", [{ type: "text", text: "sunny toolu_01Y" }]],
    ]);
  });
}
