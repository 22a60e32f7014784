/**
 * `deno task demo`: the whole gateway, offline. Three local mock accounts (a
 * Codex passthrough account that is out of quota with the 403 "usage limit
 * reached", a healthy OpenAI account and a healthy Anthropic account), a real
 * gateway process in front of them, a few requests, and a printout of which
 * account served each request and what cooled down.
 *
 * @module
 */

import {
  anthropicMessage,
  chatChunks,
  chatCompletion,
  json,
  sse,
  startMockUpstream,
} from "./support/mock_upstream.ts";
import { startGatewayProcess } from "./support/processes.ts";

const CLIENT_KEY = "sy-demo-client-key";
const ADMIN_TOKEN = "demo-admin-token-0123456789abcdefgh";

const exhausted = startMockUpstream(() =>
  json(403, { error: { message: "usage limit reached", type: "forbidden_error" } })
);
const openai = startMockUpstream((_request, hit) =>
  hit.body.includes('"stream":true')
    ? sse(chatChunks(["Hello", " from", " oa-1"]))
    : json(200, chatCompletion("Hello from oa-1"))
);
const anthropic = startMockUpstream(() => json(200, anthropicMessage("Hello from claude-1")));

const kvDir = await Deno.makeTempDir({ prefix: "switchyard-demo-" });
const gateway = await startGatewayProcess({
  SWITCHYARD_KV: `${kvDir}/demo.kv`,
  SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
  SWITCHYARD_LOG: "off",
  SWITCHYARD_CONFIG_JSON: JSON.stringify({
    accounts: [
      {
        id: "codex-1",
        platform: "openai",
        passthrough: true,
        baseUrl: exhausted.url,
        apiKey: "codex-token",
        priority: 1,
      },
      { id: "oa-1", platform: "openai", baseUrl: openai.url, apiKey: "sk-openai", priority: 2 },
      { id: "claude-1", platform: "anthropic", baseUrl: anthropic.url, apiKey: "sk-ant" },
    ],
    groups: [{ id: "team", accounts: ["codex-1", "oa-1", "claude-1"] }],
    keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
  }),
});

try {
  console.log(`Switchyard demo: gateway at ${gateway.url}, three mock accounts\n`);
  const chat = { model: "gpt-test", messages: [{ role: "user", content: "hi" }] };
  await show("chat completion #1", "/v1/chat/completions", chat);
  await show("chat completion #2", "/v1/chat/completions", chat);
  await show("streaming chat", "/v1/chat/completions", { ...chat, stream: true });
  await show("anthropic message", "/v1/messages", {
    model: "claude-test",
    max_tokens: 16,
    messages: [{ role: "user", content: "hi" }],
  });
  await show("wrong key", "/v1/chat/completions", chat, "not-a-key");

  console.log(
    `\nupstream hits: codex-1 ${exhausted.hits.length}, oa-1 ${openai.hits.length}, claude-1 ${anthropic.hits.length}`,
  );
  console.log("(codex-1 was tried once: its 403 cooled it down, so later requests skip it)\n");
  const accounts = await fetch(`${gateway.url}/admin/accounts`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  console.log("GET /admin/accounts");
  for (const row of await accounts.json()) {
    const detail = row.state === "cooldown"
      ? ` until ${row.until} (${row.reason}), strikes ${row.strikes}`
      : "";
    console.log(`  ${row.id.padEnd(9)} ${row.state}${detail}`);
  }
} finally {
  await gateway.stop();
  await Promise.all([exhausted.close(), openai.close(), anthropic.close()]);
  await Deno.remove(kvDir, { recursive: true });
}

async function show(label: string, path: string, body: unknown, key = CLIENT_KEY): Promise<void> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const served = response.headers.get("x-switchyard-account") ?? "-";
  const summary = response.headers.get("content-type")?.includes("event-stream")
    ? `${text.split("\n\n").filter(Boolean).length} SSE events`
    : text.slice(0, 90);
  console.log(`${label.padEnd(20)} → ${response.status} served by ${served.padEnd(9)} ${summary}`);
}
