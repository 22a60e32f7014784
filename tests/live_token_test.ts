/**
 * A token reset ends the dashboard's live streams opened with the old token
 * (issue 15, item 10). A real first-run `main.ts` process keeps its admin
 * token in KV; `deno task admin reset-token` runs as another process on the
 * same KV file, as an operator runs it. The stream opened with the old token
 * ends within the hub's poll interval, carries nothing built after the reset
 * (a group created with the new token), and the old token cannot open another.
 */

import assert from "node:assert/strict";
import { eventually, within } from "./support/async.ts";
import { runScript, startMainProcess } from "./support/process.ts";

const TOKEN_LINE = /admin token \(shown this once; only its hash is kept\): (sya-\S+)\n/;

function admin(url: string, token: string, path: string, json?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: json === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

Deno.test("reset-token ends live streams opened with the old token, and the old token opens none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-live-token-" });
  try {
    await using gateway = await startMainProcess({}, dir);
    const token = await eventually(
      () => TOKEN_LINE.exec(gateway.stdout())?.[1],
      "the first-run token line",
    );
    const live = await admin(gateway.url, token, "/admin/events");
    assert.equal(live.status, 200);
    const reader = live.body!.pipeThrough(new TextDecoderStream()).getReader();
    // A stream that never ends would hold the gateway's shutdown: on failure, hang up first.
    using _hangUp = { [Symbol.dispose]: () => void reader.cancel().catch(() => {}) };
    let seen = "";
    while (!seen.includes("event: snapshot")) {
      const { value, done } = await within(reader.read(), "the first snapshot");
      assert.ok(!done, "the stream stays open before the reset");
      seen += value;
    }

    const reset = await runScript("scripts/admin.ts", ["reset-token"], { cwd: dir });
    assert.equal(reset.code, 0, reset.stderr);
    const fresh = /^(sya-\S+)$/m.exec(reset.stdout)![1];
    const account = await admin(gateway.url, fresh, "/admin/accounts", {
      id: "after-reset-account",
      platform: "openai",
      baseUrl: "http://127.0.0.1:9/v1",
      apiKey: "sk-after-reset",
    });
    assert.equal(account.status, 201, await account.text());
    const group = await admin(gateway.url, fresh, "/admin/groups", {
      id: "made-after-reset",
      accounts: ["after-reset-account"],
    });
    assert.equal(group.status, 201, await group.text());

    // The old stream ends (the hub checks its grant every 2 s and before each snapshot).
    let after = "";
    for (;;) {
      const { value, done } = await within(reader.read(), "the old token's stream to end", 6_000);
      if (done) break;
      after += value;
    }
    assert.doesNotMatch(after, /made-after-reset|after-reset-account/, "nothing after the reset");

    const again = await admin(gateway.url, token, "/admin/events");
    assert.equal(again.status, 401);
    await again.body?.cancel();
    const renewed = await admin(gateway.url, fresh, "/admin/events");
    assert.equal(renewed.status, 200);
    await renewed.body!.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
