import assert from "node:assert/strict";
import { configure, getJsonLinesFormatter, reset } from "@logtape/logtape";
import {
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../scripts/support/mock_upstream.ts";
import { requestLogger } from "../lib/observe/request_log.ts";
import { callApi, readJson, SECRET, startGateway } from "./support/gateway.ts";

Deno.test("one log entry per request: key, attempts with outcomes, status, latency, tokens; no secrets", async () => {
  const exhausted = startMockUpstream(() =>
    mockJson(403, { error: { message: "usage limit reached", type: "forbidden_error" } })
  );
  const healthy = startMockUpstream(() => mockJson(200, chatCompletion("hi")));
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      accounts: [
        {
          id: "a1",
          platform: "openai",
          baseUrl: exhausted.url,
          apiKey: "sk-secret-a1",
          priority: 1,
        },
        { id: "a2", platform: "openai", baseUrl: healthy.url, apiKey: "sk-secret-a2", priority: 2 },
      ],
      groups: [{ id: "team", accounts: ["a1", "a2"] }],
      keys: [{ id: "alice", key: "alice-secret-key-0123", group: "team" }],
    },
  });
  try {
    const response = await callApi(h.url, "/v1/chat/completions", {
      key: "alice-secret-key-0123",
      json: {
        model: "m",
      },
    });
    await response.text();
    assert.equal(h.log.length, 1);
    const [entry] = h.log;
    assert.equal(entry.key, "alice");
    assert.equal(entry.status, 200);
    assert.equal(entry.outcome, "success");
    assert.equal(entry.path, "/v1/chat/completions");
    assert.deepEqual(entry.attempts.map((a) => [a.account, a.outcome, a.status, a.effect]), [
      ["a1", "failover", 403, "cooldown:forbidden"],
      ["a2", "success", 200, undefined],
    ]);
    assert.ok(entry.attempts.every((a) => typeof a.ms === "number"));
    assert.ok(entry.ms >= 0 && entry.ttfbMs !== undefined);
    assert.deepEqual(entry.tokens, { input: 5, output: 7, cached: 0 });
    assert.equal(entry.model, "gpt-test");
    const text = JSON.stringify(h.log);
    for (const secret of ["alice-secret-key-0123", "sk-secret-a1", "sk-secret-a2"]) {
      assert.ok(!text.includes(secret), `log contains ${secret}`);
    }
  } finally {
    await h.close();
    await exhausted.close();
    await healthy.close();
  }
});

Deno.test("a priced request's log line carries its cost, as the usage row has it", async () => {
  const healthy = startMockUpstream(() => mockJson(200, chatCompletion("hi")));
  // 5 input tokens at 1.25 $ and 7 output at 10.2 $ per 1M: 6.25 + 71.4 µ$, 78 µ$ rounded.
  const h = await startGateway({
    usageFlushMs: 60_000,
    config: {
      pricing: { "gpt-test": { input: 1.25, output: 10.2 } },
      accounts: [{ id: "a1", platform: "openai", baseUrl: healthy.url, apiKey: "sk-secret-a1" }],
      groups: [{ id: "team", accounts: ["a1"] }],
      keys: [{ id: "alice", key: "alice-secret-key-0123", group: "team" }],
    },
  });
  try {
    const response = await callApi(h.url, "/v1/chat/completions", {
      key: "alice-secret-key-0123",
      json: { model: "gpt-test", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 200, await response.text());
    assert.equal(h.log.length, 1);
    assert.deepEqual(h.log[0].tokens, { input: 5, output: 7, cached: 0 });
    assert.equal(h.log[0].costUsd, 0.000078);
    const usage = await readJson<{ rows: { costUsd: number }[] }>(
      await h.admin("/admin/usage?by=key"),
    );
    assert.equal(usage.rows[0].costUsd, h.log[0].costUsd);
  } finally {
    await h.close();
    await healthy.close();
  }
});

Deno.test("the default request logger writes one flat JSON line through logtape", async () => {
  const lines: string[] = [];
  const formatter = getJsonLinesFormatter({ properties: "flatten" });
  await configure({
    reset: true,
    sinks: { capture: (record) => lines.push(formatter(record)) },
    loggers: [
      { category: ["switchyard"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  try {
    requestLogger(true)({
      key: "alice",
      method: "POST",
      path: "/v1/messages",
      status: 200,
      attempts: [{ account: "claude-1", outcome: "success", status: 200, ms: 12.5 }],
      ms: 40.25,
      tokens: { input: 3, output: 4, cached: 0 },
      costUsd: 0.000041,
    });
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith("\n") && lines[0].indexOf("\n") === lines[0].length - 1);
    const line = JSON.parse(lines[0]);
    assert.equal(line.message, "request");
    assert.equal(line.logger, "switchyard.request");
    assert.equal(line.key, "alice");
    assert.equal(line.status, 200);
    assert.deepEqual(line.tokens, { input: 3, output: 4, cached: 0 });
    assert.equal(line.costUsd, 0.000041);
    assert.equal(line.attempts[0].account, "claude-1");
  } finally {
    await reset();
  }
});
