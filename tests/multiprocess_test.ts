/**
 * Two real gateway processes (`main.ts`) on one shared KV, a KV file or a
 * remote KV through the KV Connect test server: a cooldown written through one
 * is honoured by the other's very next request, and by a process started
 * afterwards.
 */

import assert from "node:assert/strict";
import { ADMIN_TOKEN, chatRequest, CLIENT_KEY, configDocument } from "./support/gateway.ts";
import { startMainProcess } from "./support/process.ts";
import { chatCompletion, json, openaiError, upstream } from "./support/upstream.ts";
import { eventually } from "./support/async.ts";
import { webhookReceiver } from "./support/webhook.ts";
import { bothKvs, seenOnRemote } from "./support/shared_kv.ts";

async function call(gatewayUrl: string): Promise<{ status: number; account: string | null }> {
  const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(chatRequest()),
  });
  await response.body?.cancel();
  return { status: response.status, account: response.headers.get("x-switchyard-account") };
}

async function accountState(gatewayUrl: string, id: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/admin/accounts`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const rows: { id: string; state: string }[] = await response.json();
  return rows.find((row) => row.id === id)?.state ?? "missing";
}

bothKvs(
  "a cooldown written through one process is honoured by another's next request",
  async (kv) => {
    let primaryAnswer: "ok" | "rate-limited" = "ok";
    await using primary = upstream(() =>
      primaryAnswer === "ok"
        ? json(200, chatCompletion("primary"))
        : json(429, openaiError("slow down", "rate_limit_error"), { "retry-after": "600" })
    );
    await using backup = upstream(() => json(200, chatCompletion("backup")));
    const env = {
      SWITCHYARD_CONFIG_JSON: JSON.stringify(configDocument({
        accounts: [
          { id: "primary", upstream: primary, priority: 1 },
          { id: "backup", upstream: backup, priority: 2 },
        ],
      })),
      ...kv.env,
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    {
      await using a = await startMainProcess(env);
      await using b = await startMainProcess(env);

      // Both processes have served (and cached state) while the primary was healthy.
      assert.deepEqual(await call(a.url), { status: 200, account: "primary" });
      assert.deepEqual(await call(b.url), { status: 200, account: "primary" });
      assert.equal(primary.hits.length, 2);

      // The primary runs out; process A meets it, fails over and cools it down.
      primaryAnswer = "rate-limited";
      assert.deepEqual(await call(a.url), { status: 200, account: "backup" });
      assert.equal(primary.hits.length, 3);

      if (kv.kind === "remote") {
        // On a remote KV, B learns of A's commit from its watch stream: the promise holds for
        // B's requests that arrive after the delivery delay (docs/several-hosts.md).
        await eventually(
          async () => await accountState(b.url, "primary") === "cooldown",
          "B's watch stream delivering A's cooldown",
        );
      }
      // Process B's very next request skips the primary: no new hit there.
      assert.deepEqual(await call(b.url), { status: 200, account: "backup" });
      assert.equal(primary.hits.length, 3, "process B did not honour A's cooldown");
      assert.equal(backup.hits.length, 2);
      assert.equal(await accountState(b.url, "primary"), "cooldown");
    }

    // A process started later, on the same file, honours it too.
    await using c = await startMainProcess(env);
    assert.deepEqual(await call(c.url), { status: 200, account: "backup" });
    assert.equal(primary.hits.length, 3, "the cooldown did not survive a restart");
  },
);

bothKvs("an admin reset through one process is seen by another", async (kv) => {
  await using dead = upstream((_request, hit) =>
    dead.hits.indexOf(hit) === 0
      ? json(401, openaiError("revoked", "invalid_request_error"))
      : json(200, chatCompletion("revived"))
  );
  await using backup = upstream(() => json(200, chatCompletion("backup")));
  const env = {
    SWITCHYARD_CONFIG_JSON: JSON.stringify(configDocument({
      accounts: [
        { id: "dead", upstream: dead, priority: 1 },
        { id: "backup", upstream: backup, priority: 2 },
      ],
    })),
    ...kv.env,
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
  };
  await using a = await startMainProcess(env);
  await using b = await startMainProcess(env);

  assert.deepEqual(await call(a.url), { status: 200, account: "backup" });
  await seenOnRemote(
    kv,
    async () => await accountState(b.url, "dead") === "disabled",
    "B's watch delivering the disable",
  );
  assert.equal(await accountState(b.url, "dead"), "disabled");
  assert.deepEqual(await call(b.url), { status: 200, account: "backup" });
  assert.equal(dead.hits.length, 1);

  const reset = await fetch(`${a.url}/admin/accounts/dead/reset`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(reset.status, 200);
  await reset.body?.cancel();
  await seenOnRemote(
    kv,
    async () => await accountState(b.url, "dead") === "active",
    "B's watch delivering the reset",
  );
  assert.deepEqual(await call(b.url), { status: 200, account: "dead" });
  assert.equal(dead.hits.length, 2);
});

bothKvs(
  "two gateway processes on one KV: one scheduled check, one webhook per episode",
  async (kv) => {
    const checks: number[] = [];
    await using up = upstream((_request, hit) => {
      if (JSON.parse(hit.body).model === "gpt-hc") checks.push(Date.now());
      return json(200, chatCompletion("ok"), {
        "x-codex-primary-used-percent": "96",
        "x-codex-primary-reset-after-seconds": "3600",
      });
    });
    await using hook = webhookReceiver("whsec-multi-0123456789");
    const document = configDocument({ accounts: [{ id: "a", upstream: up }] });
    (document.groups as Record<string, unknown>[])[0].healthChecks = {
      everySeconds: 600,
      model: "gpt-hc",
    };
    document.alerts = { webhooks: [{ url: hook.url, secret: "whsec-multi-0123456789" }] };
    const env = {
      SWITCHYARD_CONFIG_JSON: JSON.stringify(document),
      ...kv.env,
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    await using a = await startMainProcess(env);
    await using b = await startMainProcess(env);
    // Both processes serve answers whose 5-hour window is past 90 %.
    const answers = await Promise.all([call(a.url), call(b.url), call(a.url), call(b.url)]);
    assert.ok(answers.every((answer) => answer.status === 200));
    await eventually(() => hook.received.length > 0 || undefined, "the quota webhook");
    await eventually(() => checks.length > 0 || undefined, "the first scheduled check");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(checks.length, 1, "one scheduled check between the two processes");
    assert.deepEqual(hook.received.map((r) => [r.event, r.signed]), [["account.quota", true]]);
  },
);
