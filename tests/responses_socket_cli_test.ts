/**
 * The real Codex CLI with its built-in OpenAI provider pointed at the
 * gateway (`openai_base_url`, `CODEX_API_KEY`): it talks Responses over a
 * WebSocket (`GET /v1/responses`, `Upgrade: websocket`), and must get its
 * answer there, with no reconnects and no fallback to HTTPS: served
 * directly, after a usage-limit 403, and across turns with the serving
 * account exhausted in between (the next account gets the whole
 * conversation).
 */
import assert from "node:assert/strict";
import { CLIENT_KEY, SECRET, startGateway, type TestGateway } from "./support/gateway.ts";
import { codexAccount, codexAnswering } from "./support/protocol_mocks.ts";
import {
  type CliRun,
  installClients,
  runCodex,
  runCodexOverSocket,
} from "./support/cli_clients.ts";
import { sseText, trickledResponse } from "./support/streams.ts";
import { json, type MockHit, upstream, USAGE_LIMIT_403 } from "./support/upstream.ts";

const missing = await installClients();
if (missing) console.error(`responses_socket_cli_test: skipped: ${missing}`);

const ANSWER = "PONG-OVER-THE-SOCKET";
/** What Codex prints when its WebSocket fails. */
const SOCKET_TROUBLE = [
  "failed to connect to Responses WebSocket",
  "Reconnecting",
  "Falling back from WebSockets",
];

interface Item {
  type?: string;
  role?: string;
  content?: unknown;
  call_id?: string;
}

/** A Responses stream with the given output items, as an upstream writes it. */
function responsesOutput(id: string, items: Record<string, unknown>[]): string {
  const response = { id, object: "response", model: "gpt-5", status: "in_progress", output: [] };
  const events: [string, unknown][] = [["response.created", {
    type: "response.created",
    response,
  }]];
  items.forEach((item, index) => {
    events.push(["response.output_item.added", {
      type: "response.output_item.added",
      output_index: index,
      item,
    }]);
    if (item.type === "message") {
      events.push(["response.output_text.delta", {
        type: "response.output_text.delta",
        item_id: item.id,
        output_index: index,
        content_index: 0,
        delta: (item.content as { text: string }[])[0].text,
      }]);
    }
    events.push(["response.output_item.done", {
      type: "response.output_item.done",
      output_index: index,
      item,
    }]);
  });
  events.push(["response.completed", {
    type: "response.completed",
    response: {
      ...response,
      status: "completed",
      output: items,
      usage: { input_tokens: 12, output_tokens: 4, total_tokens: 16 },
    },
  }]);
  return sseText(events.map(([name, data]) => [name, JSON.stringify(data)]));
}

function message(id: string, text: string): Record<string, unknown> {
  return {
    type: "message",
    id,
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text, annotations: [] }],
  };
}

/** A tool call of Codex's `exec` tool (JavaScript): its output is `42`. */
const TOOL_CALL = {
  type: "custom_tool_call",
  id: "ctc_1",
  call_id: "call_sixbyseven",
  name: "exec",
  status: "completed",
  input: "text(String(6*7))",
};

function inputOf(hit: MockHit): Item[] {
  const input = JSON.parse(hit.body).input;
  return Array.isArray(input) ? input : [];
}

/**
 * An upstream answering Codex: with `tool`, a turn without the tool's
 * result asks for the tool call, and one with it answers with the text.
 */
function answering(text: string, tool = false): (request: Request, hit: MockHit) => Response {
  return (_request, hit) => {
    const input = inputOf(hit);
    const hasResult = input.some((item) => item.type === "custom_tool_call_output");
    const items = tool && !hasResult ? [TOOL_CALL] : [message("msg_1", text)];
    return trickledResponse(
      responsesOutput(`resp_${hit.path.length}_${Date.now()}`, items),
      "events",
    );
  };
}

function assertAnswered(run: CliRun, answer: string, what: string): void {
  const output = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.code, 0, `${what}: ${output.slice(-3000)}`);
  assert.match(run.stdout, new RegExp(answer), what);
  for (const trouble of SOCKET_TROUBLE) {
    assert.ok(
      !output.includes(trouble),
      `${what}: Codex printed "${trouble}":\n${output.slice(-3000)}`,
    );
  }
}

/** Accounts that served WebSocket turns, in order. */
function servedTurns(gateway: TestGateway): string[] {
  return gateway.log.filter((entry) => entry.transport === "websocket" && entry.status < 400)
    .map((entry) => entry.attempts.at(-1)?.account ?? "?");
}

Deno.test({
  name: "Codex's built-in provider gets its answer over the WebSocket, no fallback",
  ignore: missing !== null,
  async fn() {
    await using healthy = upstream(answering(ANSWER));
    await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: healthy }] });
    const socketStarted = performance.now();
    const [run] = await runCodexOverSocket(`${gateway.url}/v1`, CLIENT_KEY, ["say pong"]);
    const socketMs = performance.now() - socketStarted;
    assertAnswered(run, ANSWER, "direct");
    // One handshake, upgraded; no HTTP POST fallback.
    assert.ok(gateway.requests.some((r) => r.line === "GET /v1/responses" && r.status === 101));
    assert.ok(!gateway.requests.some((r) => r.line.startsWith("POST ")), "no HTTPS fallback");
    assert.deepEqual(servedTurns(gateway), ["oa-1"]);
    assert.ok(healthy.hits.every((hit) => hit.method === "POST" && hit.path === "/v1/responses"));
    // The client's own key never reached the upstream; the socket's beta flag stays here.
    for (const hit of healthy.hits) {
      assert.doesNotMatch(JSON.stringify([...hit.headers]), new RegExp(CLIENT_KEY));
      assert.equal(hit.headers.get("openai-beta"), null);
      const body = JSON.parse(hit.body);
      assert.equal(body.type, undefined);
      assert.equal(body.stream, true);
    }

    // The same prompt over HTTP (a custom provider without websockets POSTs each turn): a
    // session over the WebSocket takes no longer, give or take a second (a failed handshake's
    // five reconnects before the fallback cost about five).
    await using overHttp = await startGateway({ accounts: [{ id: "oa-1", upstream: healthy }] });
    const httpStarted = performance.now();
    const posted = await runCodex(`${overHttp.url}/v1`, CLIENT_KEY, "say pong");
    const httpMs = performance.now() - httpStarted;
    assert.equal(posted.code, 0, posted.stderr.slice(-2000));
    assert.match(posted.stdout, new RegExp(ANSWER));
    assert.ok(overHttp.requests.some((r) => r.line === "POST /v1/responses"), "over HTTP");
    console.log(
      `codex session: WebSocket ${Math.round(socketMs)} ms, HTTP ${Math.round(httpMs)} ms`,
    );
    assert.ok(
      socketMs <= httpMs + 1000,
      `the WebSocket session took ${Math.round(socketMs)} ms, HTTP ${Math.round(httpMs)} ms`,
    );
  },
});

Deno.test({
  name:
    "Codex with a custom provider (`supports_websockets = true`) gets its answer over the WebSocket",
  ignore: missing !== null,
  async fn() {
    await using healthy = upstream(answering(ANSWER));
    await using gateway = await startGateway({ accounts: [{ id: "oa-1", upstream: healthy }] });
    const [run] = await runCodexOverSocket(`${gateway.url}/v1`, CLIENT_KEY, ["say pong"], "custom");
    assertAnswered(run, ANSWER, "custom provider");
    assert.ok(gateway.requests.some((r) => r.line === "GET /v1/responses" && r.status === 101));
    assert.ok(!gateway.requests.some((r) => r.line.startsWith("POST ")), "no HTTPS fallback");
    assert.deepEqual(servedTurns(gateway), ["oa-1"]);
  },
});

Deno.test({
  name: "Codex over the WebSocket: a usage-limit 403 moves the turn to the next account",
  ignore: missing !== null,
  async fn() {
    await using exhausted = upstream(() => json(403, USAGE_LIMIT_403));
    await using healthy = upstream(answering(ANSWER));
    await using gateway = await startGateway({
      accounts: [
        { id: "oa-1", upstream: exhausted, priority: 1 },
        { id: "oa-2", upstream: healthy, priority: 2 },
      ],
    });
    const [run] = await runCodexOverSocket(`${gateway.url}/v1`, CLIENT_KEY, ["say pong"]);
    assertAnswered(run, ANSWER, "after failover");
    assert.equal(exhausted.hits.length, 1);
    assert.deepEqual(servedTurns(gateway), ["oa-2"]);
    assert.ok(!gateway.requests.some((r) => r.line.startsWith("POST ")), "no HTTPS fallback");
    assert.equal((await gateway.account("oa-1")).state, "cooldown");
  },
});

Deno.test({
  name:
    "Codex over the WebSocket: a tool call, then the serving account runs out: the next gets the whole conversation",
  ignore: missing !== null,
  async fn() {
    let spent = false;
    const first = answering("ANSWER-FROM-FIRST", true);
    await using primary = upstream((request, hit) => {
      if (spent) return json(403, USAGE_LIMIT_403);
      const response = first(request, hit);
      spent = true; // exhausted once it has asked for the tool call
      return response;
    });
    await using secondary = upstream(answering("SIX-TIMES-SEVEN-IS-42", true));
    await using gateway = await startGateway({
      accounts: [
        { id: "oa-1", upstream: primary, priority: 1 },
        { id: "oa-2", upstream: secondary, priority: 2 },
      ],
    });
    const [run] = await runCodexOverSocket(`${gateway.url}/v1`, CLIENT_KEY, [
      "what is six times seven",
    ]);
    assertAnswered(run, "SIX-TIMES-SEVEN-IS-42", "tool call across accounts");
    assert.deepEqual(servedTurns(gateway), ["oa-1", "oa-2"]);
    assert.ok(!gateway.requests.some((r) => r.line.startsWith("POST ")), "no HTTPS fallback");
    // The second account got the whole conversation, not just the tool's result.
    const second = JSON.parse(secondary.hits.at(-1)!.body);
    assert.equal(second.previous_response_id, undefined);
    const items: Item[] = second.input;
    const user = items.findIndex((item) =>
      item.role === "user" && JSON.stringify(item.content).includes("what is six times seven")
    );
    const call = items.findIndex((item) => item.type === "custom_tool_call");
    const result = items.findIndex((item) => item.type === "custom_tool_call_output");
    assert.ok(user >= 0 && call > user && result > call, JSON.stringify(items.map((i) => i.type)));
    assert.equal(items[call].call_id, TOOL_CALL.call_id);
    assert.match(JSON.stringify(items[result]), /42/);
  },
});

Deno.test({
  name:
    "Codex over the WebSocket: `exec resume` after the serving account ran out continues elsewhere",
  ignore: missing !== null,
  async fn() {
    let spent = false;
    await using primary = upstream((request, hit) => {
      if (spent) return json(403, USAGE_LIMIT_403);
      spent = true;
      return answering("FIRST-ANSWER-IS-BLUE")(request, hit);
    });
    await using secondary = upstream(answering("SECOND-ANSWER-IS-GREEN"));
    await using gateway = await startGateway({
      accounts: [
        { id: "oa-1", upstream: primary, priority: 1 },
        { id: "oa-2", upstream: secondary, priority: 2 },
      ],
    });
    const [one, two] = await runCodexOverSocket(`${gateway.url}/v1`, CLIENT_KEY, [
      "pick a colour",
      "and another one",
    ]);
    assertAnswered(one, "FIRST-ANSWER-IS-BLUE", "first session");
    assertAnswered(two, "SECOND-ANSWER-IS-GREEN", "resumed session");
    assert.deepEqual(servedTurns(gateway), ["oa-1", "oa-2"]);
    const items: Item[] = JSON.parse(secondary.hits.at(-1)!.body).input;
    const text = JSON.stringify(items);
    for (const part of ["pick a colour", "FIRST-ANSWER-IS-BLUE", "and another one"]) {
      assert.ok(text.includes(part), `the resumed turn carries "${part}"`);
    }
  },
});

Deno.test({
  name: "Codex over the WebSocket, served by a Codex subscription (the ChatGPT backend's rules)",
  ignore: missing !== null,
  async fn() {
    await using codex = upstream(codexAnswering(ANSWER));
    await using gateway = await startGateway({
      secret: SECRET,
      config: {
        accounts: [codexAccount("codex", codex.url)],
        groups: [{ id: "team", accounts: ["codex"] }],
        keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
      },
    });
    const [run] = await runCodexOverSocket(`${gateway.url}/v1`, CLIENT_KEY, ["say pong"]);
    assertAnswered(run, ANSWER, "Codex subscription");
    assert.deepEqual(servedTurns(gateway), ["codex"]);
    // The mock refuses anything the backend would (store, stream, unknown fields): none reached it.
    assert.ok(codex.hits.length > 0 && codex.hits.every((hit) => hit.path === "/responses"));
    for (const hit of codex.hits) {
      assert.equal(JSON.parse(hit.body).previous_response_id, undefined);
    }
  },
});
