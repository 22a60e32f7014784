/**
 * One KV deadline per request as the store goes away (issue 19): a request
 * that meets an outage's start waits at most one KV deadline in all, however
 * many KV calls it makes in sequence (limits, slots, health, usage, owners)
 * and however many other calls were already waiting when the first timed out.
 * Over real sockets: gateways on the KV Connect test server, the server's
 * fault switch cuts the store off while requests keep arriving.
 */

import assert from "node:assert/strict";
import { chatCompletion, json } from "../scripts/support/mock_upstream.ts";
import { callApi, SECRET, startGateway } from "./support/gateway.ts";
import { sharedKv } from "./support/shared_kv.ts";
import { upstream } from "./support/upstream.ts";

const KEY = "key-deadline-0123456789";
const DEADLINE_MS = 1_000;
/** One deadline plus slack for a loaded machine; two deadlines do not fit. */
const ONE_DEADLINE_MS = DEADLINE_MS * 1.6;

function config(upstreamUrl: string) {
  return {
    pricing: { "gpt-test": { input: 1, output: 1 } },
    accounts: [
      {
        id: "oa",
        platform: "openai",
        baseUrl: `${upstreamUrl}/v1`,
        apiKey: "sk-1",
        concurrency: 64,
      },
    ],
    groups: [{ id: "team", accounts: ["oa"] }],
    keys: [{
      id: "k",
      key: KEY,
      group: "team",
      rpm: 10_000,
      concurrency: 64,
      dailyTokens: 10_000_000,
      budgets: [{ usd: 1_000, per: "day" }],
    }],
  };
}

async function timed(url: string): Promise<{ sentAt: number; endedAt: number; status: number }> {
  const sentAt = performance.now();
  const response = await callApi(url, "/v1/chat/completions", {
    key: KEY,
    json: { model: "gpt-test", messages: [{ role: "user", content: "hi" }] },
  });
  await response.text();
  return { sentAt, endedAt: performance.now(), status: response.status };
}

for (const outage of ["drop", "503"] as const) {
  Deno.test(`KV outage (${outage}) begins under load: once a call finds the store down, no request waits on it`, async () => {
    await using kv = await sharedKv("remote");
    await using mock = upstream(() => json(200, chatCompletion("hi")));
    const gateway = await startGateway({
      kvPath: kv.location,
      secret: SECRET,
      usageFlushMs: 100,
      tuning: { kvDeadlineMs: DEADLINE_MS },
      config: config(mock.url),
    });
    try {
      for (let i = 0; i < 4; i++) assert.equal((await timed(gateway.url)).status, 200);
      await kv.server!.faults({ outage });
      const cutAt = performance.now();
      // One request every 100 ms through the first deadline of the outage: the first one's
      // KV call begins at once and finds the store down one deadline later; every request
      // still waiting then must go on from the last known state at that moment.
      const pending: Promise<{ sentAt: number; endedAt: number; status: number }>[] = [];
      for (let i = 0; i < 15; i++) {
        pending.push(timed(gateway.url));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const results = await Promise.all(pending);
      assert.deepEqual(results.map((r) => r.status), results.map(() => 200));
      const late = results.filter((r) =>
        r.endedAt - r.sentAt > ONE_DEADLINE_MS || r.endedAt - cutAt > ONE_DEADLINE_MS
      );
      const shown = results.map((r) =>
        `sent +${Math.round(r.sentAt - cutAt)} ms, ended +${Math.round(r.endedAt - cutAt)} ms`
      );
      assert.deepEqual(late, [], shown.join("; "));
    } finally {
      await kv.server!.faults({ outage: false });
      await gateway.close();
    }
  });
}
