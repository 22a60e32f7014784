/**
 * The real Codex CLI and Claude Code, run non-interactively through a real
 * gateway against mock upstreams that stream event by event: one prompt each,
 * once served directly and once after failing over from an exhausted account
 * (Codex: a 403 usage limit; Claude: a 429 with a unified reset). Asserts the
 * answer the user sees and which account served it.
 */
import assert from "node:assert/strict";
import { startGateway, type TestGateway } from "./support/gateway.ts";
import { CLIENT_KEY, SECRET } from "./support/gateway.ts";
import { anthropicAnswering, codexAccount, codexAnswering } from "./support/protocol_mocks.ts";
import { installClients, runClaude, runCodex } from "./support/cli_clients.ts";
import { sseText, trickledResponse } from "./support/streams.ts";
import { json, type MockHit, upstream } from "./support/upstream.ts";

const missing = await installClients();
if (missing) console.error(`cli_clients_test: skipped: ${missing}`);

const ANSWER = "PONG-FROM-THE-POOL";

/** A Responses stream as the Codex backend writes it, with one assistant message. */
function responsesAnswer(text: string): string {
  const response = { id: "resp_cli", object: "response", model: "gpt-5", status: "in_progress" };
  const message = {
    type: "message",
    id: "msg_cli",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text, annotations: [] }],
  };
  return sseText([
    ["response.created", JSON.stringify({ type: "response.created", response })],
    [
      "response.output_item.added",
      JSON.stringify({
        type: "response.output_item.added",
        output_index: 0,
        item: { ...message, status: "in_progress", content: [] },
      }),
    ],
    [
      "response.output_text.delta",
      JSON.stringify({
        type: "response.output_text.delta",
        item_id: "msg_cli",
        output_index: 0,
        content_index: 0,
        delta: text,
      }),
    ],
    [
      "response.output_item.done",
      JSON.stringify({
        type: "response.output_item.done",
        output_index: 0,
        item: message,
      }),
    ],
    [
      "response.completed",
      JSON.stringify({
        type: "response.completed",
        response: {
          ...response,
          status: "completed",
          output: [message],
          usage: { input_tokens: 12, output_tokens: 4, total_tokens: 16 },
        },
      }),
    ],
  ]);
}

/** An Anthropic Messages stream with one text block. */
function messagesAnswer(model: string, text: string): string {
  const message = {
    id: "msg_cli",
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 1 },
  };
  const events: [string, unknown][] = [
    ["message_start", { type: "message_start", message }],
    ["content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }],
    ["content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text },
    }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 4 },
    }],
    ["message_stop", { type: "message_stop" }],
  ];
  return sseText(events.map(([name, data]) => [name, JSON.stringify(data)]));
}

function served(gateway: TestGateway, path: string): string[] {
  return gateway.log.filter((entry) => entry.path === path && entry.status < 400)
    .map((entry) => entry.attempts.at(-1)?.account ?? "?");
}

/**
 * What a client sent to the gateway, each distinct request once with its
 * status, printed for the record (README: "What the clients send").
 */
function sent(gateway: TestGateway, client: string): string[] {
  const lines = [...new Set(gateway.requests.map(({ line, status }) => `${line} → ${status}`))];
  console.log(`${client} sent:\n  ${lines.join("\n  ")}`);
  return lines;
}

function paths(hits: MockHit[]): string[] {
  return hits.map((hit) => `${hit.method} ${hit.path}`);
}

Deno.test({
  name: "the Codex CLI gets its answer through the gateway, after a usage-limit 403 too",
  ignore: missing !== null,
  async fn() {
    await using exhausted = upstream(() =>
      json(403, { error: { type: "usage_limit_reached", message: "usage limit reached" } })
    );
    await using healthy = upstream(() => trickledResponse(responsesAnswer(ANSWER), "events"));
    await using gateway = await startGateway({
      accounts: [
        { id: "codex-1", upstream: exhausted, priority: 1 },
        { id: "codex-2", upstream: healthy, priority: 2 },
      ],
    });
    for (const round of ["after failover", "with the exhausted account cooling"]) {
      const run = await runCodex(`${gateway.url}/v1`, CLIENT_KEY, "say pong");
      assert.equal(run.code, 0, `${round}: ${run.stderr.slice(-2000)}`);
      assert.match(run.stdout, new RegExp(ANSWER), round);
    }
    assert.deepEqual(served(gateway, "/v1/responses"), ["codex-2", "codex-2"]);
    const codexSent = sent(gateway, "Codex CLI");
    assert.ok(codexSent.includes("POST /v1/responses → 200"), codexSent.join("\n"));
    assert.ok(!codexSent.some((line) => line.endsWith("→ 404")), "nothing it sends is unknown");
    // The exhausted account was tried once, then left alone while it cooled.
    assert.deepEqual(paths(exhausted.hits), ["POST /v1/responses"]);
    assert.equal((await gateway.account("codex-1")).state, "cooldown");
    // The client's own key never reached an upstream.
    for (const hit of [...exhausted.hits, ...healthy.hits]) {
      assert.doesNotMatch(JSON.stringify([...hit.headers]), new RegExp(CLIENT_KEY));
    }
    // What the CLI names itself and its session with crossed the header allow-list.
    const codexHeaders = healthy.hits[0].headers;
    assert.match(codexHeaders.get("originator") ?? "", /^codex/);
    assert.ok(codexHeaders.get("session-id") ?? codexHeaders.get("session_id"));
  },
});

Deno.test({
  name: "Claude Code gets its answer through the gateway, after a 429 with a unified reset too",
  ignore: missing !== null,
  async fn() {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    await using limited = upstream(() =>
      json(429, {
        type: "error",
        error: { type: "rate_limit_error", message: "rate limited" },
      }, {
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": String(reset),
      })
    );
    await using healthy = upstream((_request, hit) => {
      const model = hit.body ? JSON.parse(hit.body).model : "claude";
      return trickledResponse(messagesAnswer(model, ANSWER), "events");
    });
    await using gateway = await startGateway({
      accounts: [
        { id: "claude-1", upstream: limited, platform: "anthropic", priority: 1 },
        { id: "claude-2", upstream: healthy, platform: "anthropic", priority: 2 },
      ],
    });
    const run = await runClaude(gateway.url, CLIENT_KEY, "say pong");
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.match(run.stdout, new RegExp(ANSWER));
    assert.deepEqual(served(gateway, "/v1/messages"), ["claude-2"]);
    const claudeSent = sent(gateway, "Claude Code");
    assert.ok(claudeSent.includes("HEAD /api/hello → 200"), claudeSent.join("\n"));
    assert.ok(claudeSent.includes("POST /v1/messages?beta=true → 200"), claudeSent.join("\n"));
    assert.ok(!claudeSent.some((line) => line.endsWith("→ 404")), "nothing it sends is unknown");
    assert.deepEqual(paths(limited.hits), ["POST /v1/messages?beta=true"]);
    // Claude Code's betas and app name crossed the header allow-list.
    const claudeHeaders = healthy.hits[0].headers;
    assert.match(claudeHeaders.get("anthropic-beta") ?? "", /claude-code-/);
    assert.equal(claudeHeaders.get("x-app"), "cli");
    const cooled = await gateway.account("claude-1");
    assert.equal(cooled.state, "cooldown");
    assert.equal(cooled.until, new Date(reset * 1000).toISOString());
    // Claude Code's start-up probe (`HEAD /api/hello`) reached the gateway and is answered.
    assert.ok(gateway.received.some((headers) => headers.get("user-agent")?.startsWith("Bun/")));
    const hello = await fetch(`${gateway.url}/api/hello`, { method: "HEAD" });
    assert.equal(hello.status, 200);
  },
});

Deno.test({
  name: "the Codex CLI served by an Anthropic-only group (Responses → Messages)",
  ignore: missing !== null,
  async fn() {
    await using anthropic = upstream(anthropicAnswering(ANSWER));
    await using gateway = await startGateway({
      accounts: [{ id: "claude-key", upstream: anthropic, platform: "anthropic" }],
    });
    const run = await runCodex(`${gateway.url}/v1`, CLIENT_KEY, "say pong");
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.match(run.stdout, new RegExp(ANSWER));
    assert.deepEqual(served(gateway, "/v1/responses"), ["claude-key"]);
    assert.ok(
      anthropic.hits.every((hit) => hit.path === "/v1/messages"),
      paths(anthropic.hits).join(),
    );
  },
});

Deno.test({
  name: "Claude Code served by a Codex-only group (Messages → Responses)",
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
    const run = await runClaude(gateway.url, CLIENT_KEY, "say pong");
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.match(run.stdout, new RegExp(ANSWER));
    assert.ok(served(gateway, "/v1/messages").includes("codex"));
    // Only what the ChatGPT backend takes reached it: /responses, no query string.
    assert.ok(codex.hits.length > 0 && codex.hits.every((hit) => hit.path === "/responses"));
  },
});
