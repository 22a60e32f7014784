import assert from "node:assert/strict";
import { json, startMockUpstream } from "../scripts/support/mock_upstream.ts";
import { CredentialSetupError } from "../lib/providers/credentials.ts";
import { validateConfig } from "../lib/config/validate.ts";
import { createGateway } from "../lib/app.ts";
import { SecretBox } from "../lib/crypto/secret_box.ts";
import {
  adminAccounts,
  callApi,
  configDoc,
  SECRET,
  startGateway,
  tempKvPath,
} from "./support/gateway.ts";
import { spawnGateway } from "./support/process.ts";
import { bothKvs, sharedKv } from "./support/shared_kv.ts";
import { within } from "./support/async.ts";
import { refusedRefresh } from "./support/protocol_mocks.ts";

const CHAT = { model: "gpt-test", messages: [{ role: "user", content: "hi" }] };

/** A mock token endpoint that hands out `access-N` / `refresh-N`. */
function tokenEndpoint(
  options: { reject?: boolean; delayMs?: number } = {},
) {
  let issued = 0;
  const bodies: Record<string, unknown>[] = [];
  const server = startMockUpstream(async (_request, hit) => {
    bodies.push(JSON.parse(hit.body));
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (options.reject) {
      return refusedRefresh();
    }
    issued++;
    return json(200, {
      access_token: `access-${issued}`,
      refresh_token: `refresh-${issued}`,
      expires_in: 3600,
    });
  });
  return { server, bodies, calls: () => bodies.length };
}

function codexAccount(tokenUrl: string, baseUrl: string, expiresAt: number) {
  return {
    id: "codex-1",
    platform: "openai",
    baseUrl,
    oauth: {
      accessToken: "access-0",
      refreshToken: "refresh-0",
      expiresAt,
      accountId: "acct-123",
      tokenUrl: `${tokenUrl}/oauth/token`,
    },
  };
}

/** A Claude subscription account; `oauth` adds to (or replaces) its tokens. */
function claudeAccount(baseUrl: string, oauth: Record<string, unknown>) {
  return {
    id: "claude-1",
    platform: "anthropic",
    baseUrl,
    oauth: { accessToken: "sk-ant-oat", refreshToken: "sk-ant-ort", ...oauth },
  };
}

Deno.test("OAuth accounts", async (t) => {
  await t.step("refreshes ahead of expiry and sends the Codex headers", async () => {
    const tmp = await tempKvPath();
    const tokens = tokenEndpoint();
    const upstream = startMockUpstream(() => json(200, { ok: true }));
    const doc = configDoc([codexAccount(tokens.server.url, upstream.url, Date.now() + 60_000)]);
    const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
    try {
      const first = await callApi(gw.url, "/v1/responses", { json: CHAT });
      assert.equal(first.status, 200);
      await first.body?.cancel();
      const second = await callApi(gw.url, "/v1/responses", { json: CHAT });
      assert.equal(second.status, 200);
      await second.body?.cancel();

      assert.equal(tokens.calls(), 1, "one refresh, then the new token is good for an hour");
      assert.equal(tokens.bodies[0].grant_type, "refresh_token");
      assert.equal(tokens.bodies[0].refresh_token, "refresh-0");
      assert.equal(tokens.bodies[0].client_id, "app_EMoamEEZ73f0CkXaXp7hrann");
      for (const hit of upstream.hits) {
        assert.equal(hit.headers.get("authorization"), "Bearer access-1");
        assert.equal(hit.headers.get("chatgpt-account-id"), "acct-123");
        assert.equal(hit.headers.get("openai-beta"), "responses=experimental");
        assert.equal(hit.headers.get("originator"), "codex_cli_rs");
      }

      // The refreshed tokens are in KV, encrypted: no token text in the stored record.
      const stored = await gw.kv.get(["switchyard", "oauth", "codex-1", "tokens"]);
      const raw = JSON.stringify(stored.value);
      assert.ok(stored.value, "tokens stored");
      assert.ok(!raw.includes("access-1") && !raw.includes("refresh-1"), "encrypted at rest");
      const box = await SecretBox.fromSecret(SECRET, "oauth-tokens");
      const opened = JSON.parse(
        await box.open((stored.value as { sealed: never }).sealed, "codex-1"),
      ) as { accessToken: string };
      assert.equal(opened.accessToken, "access-1");
    } finally {
      await gw.close();
      await upstream.close();
      await tokens.server.close();
      await tmp.cleanup();
    }
  });

  await t.step("refreshed tokens in KV win over the config copy", async () => {
    const tmp = await tempKvPath();
    const tokens = tokenEndpoint();
    const upstream = startMockUpstream(() => json(200, { ok: true }));
    const doc = configDoc([codexAccount(tokens.server.url, upstream.url, Date.now() + 60_000)]);
    const first = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
    const res = await callApi(first.url, "/v1/responses", { json: CHAT });
    await res.body?.cancel();
    await first.close();
    // A restart with the same (stale) config copy uses the KV tokens and does not refresh.
    const second = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
    try {
      const again = await callApi(second.url, "/v1/responses", { json: CHAT });
      assert.equal(again.status, 200);
      await again.body?.cancel();
      assert.equal(tokens.calls(), 1);
      assert.equal(upstream.hits.at(-1)?.headers.get("authorization"), "Bearer access-1");
    } finally {
      await second.close();
      await upstream.close();
      await tokens.server.close();
      await tmp.cleanup();
    }
  });

  await t.step("a 401 refreshes the token and retries the same account once", async () => {
    const tmp = await tempKvPath();
    const tokens = tokenEndpoint();
    const upstream = startMockUpstream((request) =>
      request.headers.get("authorization") === "Bearer access-0"
        ? json(401, { error: { message: "token expired", type: "invalid_request_error" } })
        : json(200, { ok: true })
    );
    const other = startMockUpstream(() => json(200, { other: true }));
    const doc = configDoc([
      { ...codexAccount(tokens.server.url, upstream.url, Date.now() + 3600_000), priority: 1 },
      { id: "spare", platform: "openai", baseUrl: other.url, apiKey: "sk-spare", priority: 2 },
    ]);
    const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
    try {
      const response = await callApi(gw.url, "/v1/responses", { json: CHAT });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-switchyard-account"), "codex-1");
      assert.deepEqual(await response.json(), { ok: true });
      assert.equal(tokens.calls(), 1);
      assert.deepEqual(upstream.hits.map((h) => h.headers.get("authorization")), [
        "Bearer access-0",
        "Bearer access-1",
      ]);
      assert.equal(other.hits.length, 0);
      const [view] = await adminAccounts(gw.url);
      assert.equal(view.state, "active");
    } finally {
      await gw.close();
      await upstream.close();
      await other.close();
      await tokens.server.close();
      await tmp.cleanup();
    }
  });

  await t.step(
    "invalid_grant disables the account with a reason, and the request moves on",
    async () => {
      const tmp = await tempKvPath();
      const tokens = tokenEndpoint({ reject: true });
      const upstream = startMockUpstream(() => json(200, { ok: true }));
      const other = startMockUpstream(() => json(200, { other: true }));
      const doc = configDoc([
        { ...codexAccount(tokens.server.url, upstream.url, Date.now() - 1000), priority: 1 },
        { id: "spare", platform: "openai", baseUrl: other.url, apiKey: "sk-spare", priority: 2 },
      ]);
      const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
      try {
        const response = await callApi(gw.url, "/v1/responses", { json: CHAT });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-switchyard-account"), "spare");
        await response.body?.cancel();
        assert.equal(upstream.hits.length, 0, "an expired token is never sent");
        // The request log says why the account was passed over, as the admin view does.
        const [first] = gw.log[0].attempts;
        assert.equal(first.outcome, "auth");
        assert.match(String(first.detail), /invalid_grant/);
        const views = await adminAccounts(gw.url);
        const codex = views.find((v) => v.id === "codex-1")!;
        assert.equal(codex.state, "disabled");
        assert.match(String(codex.reason), /invalid_grant/);
        assert.ok(!JSON.stringify(views).includes("refresh-0"), "no token in the admin view");
        // A second request does not hammer the token endpoint: the account is disabled.
        const again = await callApi(gw.url, "/v1/responses", { json: CHAT });
        await again.body?.cancel();
        assert.equal(tokens.calls(), 1);
      } finally {
        await gw.close();
        await upstream.close();
        await other.close();
        await tokens.server.close();
        await tmp.cleanup();
      }
    },
  );

  await t.step("Claude accounts send Bearer and merge the oauth beta flag", async () => {
    const tmp = await tempKvPath();
    const upstream = startMockUpstream(() => json(200, { type: "message" }));
    const doc = configDoc([claudeAccount(upstream.url, { expiresAt: Date.now() + 3600_000 })]);
    const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
    try {
      const response = await callApi(gw.url, "/v1/messages", {
        json: {
          model: "claude",
          max_tokens: 5,
          messages: [],
        },
        headers: {
          "anthropic-beta": "prompt-caching-2024-07-31",
          // Claude Code's own request: a subscription account serves nothing else.
          "user-agent": "claude-cli/2.0.0 (external, cli)",
          "x-app": "cli",
        },
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
      const hit = upstream.hits[0];
      assert.equal(hit.headers.get("authorization"), "Bearer sk-ant-oat");
      assert.equal(hit.headers.get("x-api-key"), null);
      assert.equal(hit.headers.get("anthropic-beta"), "prompt-caching-2024-07-31,oauth-2025-04-20");
      assert.equal(hit.headers.get("anthropic-version"), "2023-06-01");
    } finally {
      await gw.close();
      await upstream.close();
      await tmp.cleanup();
    }
  });

  await t.step("a Claude account's tokenUrl override is where it refreshes", async () => {
    const tmp = await tempKvPath();
    const tokens = tokenEndpoint();
    const upstream = startMockUpstream(() => json(200, { type: "message" }));
    const doc = configDoc([claudeAccount(upstream.url, {
      accessToken: "sk-ant-oat-old",
      refreshToken: "sk-ant-ort-old",
      expiresAt: Date.now() + 60_000,
      tokenUrl: `${tokens.server.url}/v1/oauth/token`,
    })]);
    const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
    try {
      const response = await callApi(gw.url, "/v1/messages", {
        json: { model: "claude", max_tokens: 5, messages: [] },
        headers: { "user-agent": "claude-cli/2.1.332 (external, cli)", "x-app": "cli" },
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
      assert.equal(tokens.calls(), 1, "refreshed at the override, not the public default");
      assert.deepEqual(tokens.bodies[0], {
        grant_type: "refresh_token",
        refresh_token: "sk-ant-ort-old",
        client_id: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
      });
      assert.equal(upstream.hits[0].headers.get("authorization"), "Bearer access-1");
    } finally {
      await gw.close();
      await upstream.close();
      await tokens.server.close();
      await tmp.cleanup();
    }
  });

  await t.step("OAuth accounts need SWITCHYARD_SECRET", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      const config = validateConfig(
        configDoc([{
          id: "c",
          platform: "openai",
          oauth: { accessToken: "a", refreshToken: "r" },
        }]),
        () => undefined,
      );
      assert.equal(config.accounts[0].baseUrl, "https://chatgpt.com/backend-api/codex");
      await assert.rejects(() => createGateway({ config, kv }), CredentialSetupError);
    } finally {
      kv.close();
    }
  });
});

bothKvs("two gateway processes racing to refresh one account make one refresh call", async (kv) => {
  const tokens = tokenEndpoint({ delayMs: 300 });
  const upstream = startMockUpstream(() => json(200, { ok: true }));
  const configPath = `${kv.dir}/switchyard.json`;
  await Deno.writeTextFile(
    configPath,
    JSON.stringify(configDoc([codexAccount(tokens.server.url, upstream.url, Date.now() + 60_000)])),
  );
  const [a, b] = await Promise.all([
    spawnGateway(configPath, kv.location, kv.env),
    spawnGateway(configPath, kv.location, kv.env),
  ]);
  try {
    const responses = await Promise.all([
      callApi(a.url, "/v1/responses", { json: CHAT }),
      callApi(b.url, "/v1/responses", { json: CHAT }),
      callApi(a.url, "/v1/responses", { json: CHAT }),
      callApi(b.url, "/v1/responses", { json: CHAT }),
    ]);
    for (const response of responses) {
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    assert.equal(tokens.calls(), 1, "exactly one refresh across both processes");
    assert.equal(upstream.hits.length, 4);
    for (const hit of upstream.hits) {
      assert.equal(hit.headers.get("authorization"), "Bearer access-1");
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await upstream.close();
    await tokens.server.close();
  }
});

Deno.test("a remote KV that does not answer makes an OAuth account that needs its tokens fail over, not hang", async () => {
  await using kv = await sharedKv("remote");
  const tokens = tokenEndpoint();
  const upstream = startMockUpstream(() => json(200, { ok: true }));
  // The Codex account's token is due for a refresh, which takes the lease in KV first.
  const codex = { ...codexAccount(tokens.server.url, upstream.url, Date.now()), priority: 1 };
  const backup = { id: "backup", platform: "openai", baseUrl: upstream.url, apiKey: "sk-backup" };
  const gw = await startGateway({
    config: configDoc([codex, { ...backup, priority: 2 }]),
    kvPath: kv.location,
    secret: SECRET,
    tuning: { kvDeadlineMs: 300 },
  });
  try {
    await kv.server!.faults({ hang: true });
    const response = await within(
      callApi(gw.url, "/v1/responses", { json: CHAT }),
      "the request while the KV does not answer",
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-switchyard-account"), "backup");
    await response.body?.cancel();
    assert.equal(tokens.calls(), 0, "no refresh without the lease");
  } finally {
    await kv.server!.faults({ hang: false });
    await gw.close();
    await upstream.close();
    await tokens.server.close();
  }
});
