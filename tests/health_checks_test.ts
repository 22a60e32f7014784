/**
 * Scheduled health checks (`healthChecks` on a group or an account) over
 * real sockets: a disabled account that passes its check is back in service,
 * the result shows in the console snapshot and the metrics, and two
 * gateways on one KV file send one check per interval between them.
 */

import assert from "node:assert/strict";
import {
  ADMIN_TOKEN,
  chatRequest,
  readJson,
  startGateway,
  type TestGateway,
} from "./support/gateway.ts";
import { eventually } from "./support/async.ts";
import { chatCompletion, json, openaiError, upstream } from "./support/upstream.ts";
import { bothKvs } from "./support/shared_kv.ts";

const FAST = { healthCheckTickMs: 50 };

/** An account's last test, as the console's snapshot shows it. */
async function lastTest(
  gateway: TestGateway,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const snapshot = await readJson<
    { accounts: { id: string; lastTest?: Record<string, unknown> }[] }
  >(
    await gateway.admin("/admin/dashboard"),
  );
  return snapshot.accounts.find((row) => row.id === id)?.lastTest;
}

Deno.test("a scheduled check recovers a disabled account that passes and records it", async () => {
  let revoked = true;
  await using up = upstream(() =>
    revoked
      ? json(401, openaiError("bad key", "invalid_api_key"))
      : json(200, chatCompletion("back"))
  );
  await using gateway = await startGateway({
    tuning: FAST,
    config: {
      accounts: [{ id: "a", platform: "openai", baseUrl: `${up.url}/v1`, apiKey: "sk-a" }],
      groups: [{ id: "team", accounts: ["a"], healthChecks: { everySeconds: 1, model: "gpt-hc" } }],
      keys: [{ id: "alice", key: "sk-client-alice-0123456789", group: "team" }],
    },
  });
  const refused = await gateway.api("/v1/chat/completions", { json: chatRequest() });
  await refused.body?.cancel();
  await eventually(async () => (await gateway.account("a")).state === "disabled" || undefined);

  revoked = false;
  await eventually(
    async () => (await gateway.account("a")).state === "active" || undefined,
    "the scheduled check to recover the account",
    5_000,
  );
  const checked = up.hits.filter((hit) => JSON.parse(hit.body).model === "gpt-hc");
  assert.ok(checked.length >= 1, "the check used its configured model");

  const snapshot = await readJson<
    { accounts: { id: string; lastTest?: Record<string, unknown> }[] }
  >(
    await gateway.admin("/admin/dashboard"),
  );
  const last = snapshot.accounts.find((row) => row.id === "a")?.lastTest;
  assert.equal(last?.source, "scheduled");
  assert.equal(last?.ok, true);
  assert.equal(last?.model, "gpt-hc");

  const metrics = await (await fetch(`${gateway.url}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })).text();
  assert.match(
    metrics,
    /switchyard_account_tests_total\{account="a",source="scheduled",result="pass"\} [1-9]/,
  );
});

Deno.test("recover: false on an account keeps a passing disabled account disabled", async () => {
  let revoked = true;
  await using up = upstream(() =>
    revoked ? json(401, openaiError("bad key")) : json(200, chatCompletion("ok"))
  );
  await using gateway = await startGateway({
    tuning: FAST,
    config: {
      accounts: [{
        id: "a",
        platform: "openai",
        baseUrl: `${up.url}/v1`,
        apiKey: "sk-a",
        healthChecks: { everySeconds: 1, recover: false },
      }],
      groups: [{ id: "team", accounts: ["a"] }],
      keys: [{ id: "alice", key: "sk-client-alice-0123456789", group: "team" }],
    },
  });
  const refused = await gateway.api("/v1/chat/completions", { json: chatRequest() });
  await refused.body?.cancel();
  revoked = false;
  await eventually(
    async () => (await lastTest(gateway, "a"))?.ok === true || undefined,
    "a passing check",
    5_000,
  );
  assert.equal((await gateway.account("a")).state, "disabled");
});

bothKvs("two gateways on one KV send one scheduled check per interval", async (kv) => {
  const at: number[] = [];
  await using up = upstream(() => {
    at.push(Date.now());
    return json(200, chatCompletion("ok"));
  });
  const config = {
    accounts: [{ id: "a", platform: "openai", baseUrl: `${up.url}/v1`, apiKey: "sk-a" }],
    groups: [{ id: "team", accounts: ["a"], healthChecks: { everySeconds: 1 } }],
    keys: [],
  };
  // From before the first gateway: its first check may go out while the second is starting, and
  // the interval bound below must count that time too.
  const started = Date.now();
  const first = await startGateway({ tuning: FAST, config, kvPath: kv.location });
  const second = await startGateway({ tuning: FAST, config, kvPath: first.kvPath });
  await new Promise((resolve) => setTimeout(resolve, 3_300));
  const elapsed = Date.now() - started;
  await second.close();
  await first.close();
  // One check at start, then one per second: never two in one interval, whichever gateway sent it.
  assert.ok(at.length >= 3, `${at.length} checks in ${elapsed} ms`);
  assert.ok(at.length <= Math.floor(elapsed / 1000) + 1, `${at.length} checks in ${elapsed} ms`);
  // A second check in one interval would come within a tick of the first; the time from a claim
  // to its arrival upstream jitters by tens of ms (more on a remote KV), so the gap is not 1000.
  for (let i = 1; i < at.length; i++) {
    assert.ok(
      at[i] - at[i - 1] >= 500,
      `checks ${i - 1} and ${i} only ${at[i] - at[i - 1]} ms apart`,
    );
  }
});
