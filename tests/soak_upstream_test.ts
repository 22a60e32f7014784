/**
 * The soak's fault upstream (scripts/soak/fault_upstream.ts) as a process of
 * its own, over real sockets: healthy accounts answer every format whole over
 * a kept-alive connection, an account that only closes after reading the
 * request never answers, and each arrival is recorded with its request id.
 */

import assert from "node:assert/strict";
import { startScriptProcess } from "../scripts/support/processes.ts";
import { makePlan } from "../scripts/soak/plan.ts";
import type { Arrival } from "../scripts/soak/records.ts";
import { verifyBody } from "../scripts/soak/stream_check.ts";

Deno.test("the fault upstream answers whole streams and closes when its fault says so", async () => {
  const plan = makePlan(1, 30, 2);
  for (const account of plan.accounts) {
    account.profile = account.id === "oa-1"
      ? { failRate: 1, weights: [["close-before-answer", 1]] }
      : null;
  }
  const dir = await Deno.makeTempDir({ prefix: "switchyard-soak-test-" });
  const planPath = `${dir}/plan.json`;
  await Deno.writeTextFile(planPath, JSON.stringify(plan));
  const upstream = await startScriptProcess(
    ["run", "--allow-net", "--allow-read", "scripts/soak/fault_upstream.ts", planPath],
    { captureStderr: true, stdinPipe: true },
  );
  try {
    const ports: Record<string, number> = await (await fetch(`${upstream.url}/ports`)).json();
    const call = (account: string, path: string, body: unknown, id: string) => {
      const key = plan.accounts.find((candidate) => candidate.id === account)!.apiKey;
      const auth: Record<string, string> = path === "/messages"
        ? { "x-api-key": key }
        : { authorization: `Bearer ${key}` };
      return fetch(`http://127.0.0.1:${ports[account]}/${account}/v1${path}`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", "idempotency-key": id },
        body: JSON.stringify(body),
      });
    };

    const cases = [
      { account: "ok-oa", path: "/chat/completions", surface: "chat" as const, stream: true },
      { account: "ok-oa", path: "/responses", surface: "responses" as const, stream: false },
      { account: "ok-an", path: "/messages", surface: "messages" as const, stream: true },
      { account: "ok-oa", path: "/responses", surface: "responses" as const, stream: true },
    ];
    for (const [i, { account, path, surface, stream }] of cases.entries()) {
      const response = await call(account, path, { model: "m", stream }, `t-${i}`);
      assert.equal(response.status, 200);
      const verdict = verifyBody(surface, stream, false, await response.text());
      assert.deepEqual(verdict.problems, [], path);
      assert.ok(verdict.terminal, path);
    }

    await assert.rejects(call("oa-1", "/chat/completions", { model: "m" }, "t-closed"));

    // A WebSocket turn has only its connection's headers: its prompt names it.
    const key = plan.accounts.find((candidate) => candidate.id === "ok-oa")!.apiKey;
    const turn = await fetch(`http://127.0.0.1:${ports["ok-oa"]}/ok-oa/v1/responses`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        model: "m",
        stream: true,
        input: [
          { role: "user", content: "soak-turn:w9-t0" },
          { role: "assistant", content: "[r2:0]é " },
          { role: "user", content: "soak-turn:w9-t1" },
        ],
      }),
    });
    assert.ok(verifyBody("responses", true, false, await turn.text()).terminal);

    const records: Arrival[] = await (await fetch(`${upstream.url}/records`)).json();
    assert.deepEqual(records.map((record) => record.id), [
      "t-0",
      "t-1",
      "t-2",
      "t-3",
      "t-closed",
      "w9-t1",
    ]);
    assert.equal(records[5].session, "w9");
    assert.deepEqual(records[5].history, { turns: ["w9-t0", "w9-t1"], responses: ["r2"] });
    assert.equal(records[0].history, undefined);
    assert.ok(records.every((record) => record.credentialOk && !record.clientSecretSeen));
    assert.deepEqual(records.slice(0, 4).map((record) => record.completed), [
      true,
      true,
      true,
      true,
    ]);
    const closed = records[4];
    assert.equal(closed.fault, "close-before-answer");
    assert.equal(closed.effect?.kind, "cooldown");
  } finally {
    await upstream.stop(5000);
    await Deno.remove(dir, { recursive: true });
  }
});
