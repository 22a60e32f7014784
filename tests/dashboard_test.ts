import assert from "node:assert/strict";
import { ADMIN_TOKEN, callApi, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { exhaustibleAccounts } from "./support/upstream.ts";

interface Snapshot {
  accounts: {
    id: string;
    state: string;
    until?: string;
    strikes: number;
    today: { input: number };
  }[];
  failovers: { account: string; reason: string; status?: number }[];
  keys: { id: string; today: { requests: number; output: number } }[];
}

Deno.test("dashboard: page, snapshot and live SSE updates after a failover", async (t) => {
  const mocks = exhaustibleAccounts("hi");
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      accounts: mocks.accounts,
      groups: [{ id: "team", accounts: ["codex-1", "oa-1"] }],
      keys: [{ id: "alice", key: "alice-key-0123456789", group: "team" }],
    },
  });
  try {
    await t.step("GET /dashboard serves the page without data or auth", async () => {
      const response = await fetch(`${h.url}/dashboard`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /text\/html/);
      const html = await response.text();
      assert.match(html, /<meta name="viewport"/);
      assert.ok(!html.includes("codex-1"));
    });

    await t.step("GET /admin/dashboard needs the admin token", async () => {
      const response = await fetch(`${h.url}/admin/dashboard`);
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });

    await t.step(
      "the SSE stream sends a snapshot, then the account cooling after a 403",
      async () => {
        const events = await fetch(`${h.url}/admin/events`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        assert.equal(events.status, 200);
        assert.equal(events.headers.get("content-type"), "text/event-stream");
        const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        const nextSnapshot = async (): Promise<Snapshot> => {
          for (;;) {
            const match = /event: snapshot\ndata: (.*)\n\n/.exec(buffer);
            if (match) {
              buffer = buffer.slice(match.index + match[0].length);
              return JSON.parse(match[1]);
            }
            const { value, done } = await reader.read();
            if (done) throw new Error("event stream ended");
            buffer += value;
          }
        };
        try {
          const first = await nextSnapshot();
          assert.deepEqual(first.accounts.map((a) => [a.id, a.state]), [["codex-1", "active"], [
            "oa-1",
            "active",
          ]]);

          mocks.exhaust();
          const response = await callApi(h.url, "/v1/chat/completions", {
            key: "alice-key-0123456789",
            json: {},
          });
          assert.equal(response.headers.get("x-switchyard-account"), "oa-1");
          await response.text();

          let snapshot = await nextSnapshot();
          while (snapshot.accounts[0].state !== "cooldown") snapshot = await nextSnapshot();
          const codex = snapshot.accounts[0];
          assert.equal(codex.strikes, 1);
          assert.ok(Date.parse(codex.until!) > Date.now());
          assert.deepEqual(snapshot.failovers.map((f) => [f.account, f.reason, f.status]), [
            ["codex-1", "forbidden", 403],
          ]);
        } finally {
          await reader.cancel();
        }
      },
    );

    await t.step("GET /admin/dashboard has today's tokens per account and per key", async () => {
      const snapshot = await readJson<Snapshot>(await h.admin("/admin/dashboard"));
      assert.equal(snapshot.accounts.find((a) => a.id === "oa-1")?.today.input, 5);
      assert.deepEqual(snapshot.keys.map((k) => [k.id, k.today.requests, k.today.output]), [[
        "alice",
        1,
        7,
      ]]);
    });
  } finally {
    await h.close();
    await mocks.close();
  }
});
