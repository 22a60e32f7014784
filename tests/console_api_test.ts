/**
 * The management API behind the dashboard's console, over real sockets:
 * editing a subscription account, disabling and enabling accounts, updating a
 * key's group and limits, and clearing a setting with `null`; signing Codex
 * and Claude subscriptions in against a mock authorization server, and
 * uploading a credentials file.
 */

import assert from "node:assert/strict";
import { callApi, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { fakeJwt, startAuthServer } from "./support/auth_server.ts";
import {
  anthropicMessage,
  chatCompletion,
  json as mockJson,
  upstream,
} from "./support/upstream.ts";

const CLIENT = "client-key-0123456789";

Deno.test("PUT on a subscription account changes its settings and keeps it a subscription account", async () => {
  const h = await startGateway({ secret: SECRET, usageFlushMs: 60_000, config: {} });
  try {
    const created = await h.admin("/admin/accounts", {
      method: "POST",
      json: {
        id: "codex-1",
        platform: "openai",
        oauth: { accountId: "acct-1" },
      },
    });
    assert.equal(created.status, 201, await created.clone().text());
    await created.body?.cancel();
    const updated = await h.admin("/admin/accounts/codex-1", {
      method: "PUT",
      json: { priority: 5 },
    });
    const row = await readJson(updated);
    assert.equal(updated.status, 200, JSON.stringify(row));
    assert.equal(row.priority, 5);
    assert.equal(row.baseUrl, "https://chatgpt.com/backend-api/codex");
    assert.equal(h.gateway.directory.account("codex-1")?.account.oauth?.accountId, "acct-1");
  } finally {
    await h.close();
  }
});

/** A mock Codex / Claude backend that records which token each request carried. */
function recordingUpstream() {
  return upstream((request) =>
    request.url.includes("/messages")
      ? mockJson(200, anthropicMessage("hi from claude"))
      : mockJson(200, chatCompletion("hi from codex"))
  );
}

Deno.test("a Codex subscription signs in through the API: start, the provider's redirect, finish", async (t) => {
  await using auth = startAuthServer("codex", { chatgptAccountId: "acct-42" });
  await using backend = recordingUpstream();
  const h = await startGateway({ secret: SECRET, usageFlushMs: 60_000, config: {} });
  try {
    const start = async (extra: Record<string, unknown> = {}) => {
      const response = await h.admin("/admin/oauth/start", {
        method: "POST",
        json: {
          platform: "openai",
          id: "codex-1",
          baseUrl: backend.url,
          authorizeUrl: auth.authorizeUrl,
          tokenUrl: auth.tokenUrl,
          ...extra,
        },
      });
      return { status: response.status, body: await readJson(response) };
    };
    let flow = "";
    await t.step("start: the authorization URL of the Codex client, with PKCE", async () => {
      const { status, body } = await start();
      assert.equal(status, 200, JSON.stringify(body));
      const url = new URL(String(body.authorizeUrl));
      assert.equal(`${url.origin}${url.pathname}`, auth.authorizeUrl);
      assert.equal(url.searchParams.get("client_id"), "app_EMoamEEZ73f0CkXaXp7hrann");
      assert.equal(url.searchParams.get("redirect_uri"), "http://127.0.0.1:1455/auth/callback");
      assert.equal(url.searchParams.get("code_challenge_method"), "S256");
      assert.match(url.searchParams.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
      assert.match(url.searchParams.get("scope") ?? "", /offline_access/);
      flow = String(body.flow);
    });

    await t.step("an answer from another sign-in is refused next to the field", async () => {
      const response = await h.admin("/admin/oauth/finish", {
        method: "POST",
        json: {
          flow,
          input: "http://127.0.0.1:1455/auth/callback?code=abc&state=not-this-one",
        },
      });
      const body = await readJson<{ error: { message: string; param: string } }>(response);
      assert.equal(response.status, 400);
      assert.equal(body.error.param, "input");
      assert.match(body.error.message, /another sign-in/);
    });

    await t.step("finish with the address the browser landed on: the account serves", async () => {
      const { body: started } = await start();
      const landed = await auth.signIn(String(started.authorizeUrl));
      assert.match(landed, /^http:\/\/127\.0\.0\.1:1455\/auth\/callback\?code=/);
      const response = await h.admin("/admin/oauth/finish", {
        method: "POST",
        json: {
          flow: started.flow,
          input: landed,
        },
      });
      const text = await response.text();
      assert.equal(response.status, 201, text);
      for (const token of auth.issued) assert.ok(!text.includes(token), "no token in the answer");
      const row = JSON.parse(text);
      assert.deepEqual([row.id, row.platform, row.state, row.created], [
        "codex-1",
        "openai",
        "active",
        true,
      ]);
      // The tokens are in KV, sealed.
      const stored = await h.kv.get(["switchyard", "oauth", "codex-1", "tokens"]);
      assert.ok(stored.value);
      assert.ok(!JSON.stringify(stored.value).includes(auth.issued[0]));
      // The same flow cannot make a second account.
      const again = await h.admin("/admin/oauth/finish", {
        method: "POST",
        json: {
          flow: started.flow,
          input: landed,
        },
      });
      assert.equal(again.status, 404);
      await again.body?.cancel();

      await (await h.admin("/admin/groups", {
        method: "POST",
        json: { id: "team", accounts: ["codex-1"] },
      })).text();
      const key = await readJson(
        await h.admin("/admin/keys", { method: "POST", json: { id: "alice", group: "team" } }),
      );
      // Codex serves the Responses API (a Chat request would be translated).
      const served = await callApi(h.url, "/v1/responses", {
        key: String(key.key),
        json: { model: "m", input: "hi" },
      });
      assert.equal(served.status, 200);
      assert.equal(served.headers.get("x-switchyard-account"), "codex-1");
      await served.body?.cancel();
      const hit = backend.hits.at(-1)!;
      assert.equal(hit.headers.get("authorization"), `Bearer ${auth.issued.at(-1)}`);
      assert.equal(hit.headers.get("chatgpt-account-id"), "acct-42");
    });

    await t.step("start checks the account before anyone signs in", async () => {
      const badId = await start({ id: "no spaces allowed" });
      assert.equal(badId.status, 400);
      assert.equal((badId.body.error as { param: string }).param, "id");
      await (await h.admin("/admin/accounts", {
        method: "POST",
        json: {
          id: "oa-1",
          platform: "openai",
          baseUrl: backend.url,
          apiKey: "sk-1",
        },
      })).text();
      const taken = await start({ id: "oa-1" });
      assert.equal(taken.status, 409);
      assert.match(String((taken.body.error as { message: string }).message), /not a Codex/);
      const badUrl = await start({ tokenUrl: "ftp://x" });
      assert.equal((badUrl.body.error as { param: string }).param, "tokenUrl");
    });
  } finally {
    await h.close();
  }
});

Deno.test("a Claude subscription signs in with the code#state Claude shows, and a new sign-in revives it", async () => {
  await using auth = startAuthServer("claude");
  await using backend = recordingUpstream();
  const h = await startGateway({ secret: SECRET, usageFlushMs: 60_000, config: {} });
  try {
    const signIn = async () => {
      const started = await readJson(
        await h.admin("/admin/oauth/start", {
          method: "POST",
          json: {
            platform: "anthropic",
            id: "claude-1",
            baseUrl: backend.url,
            authorizeUrl: auth.authorizeUrl,
            tokenUrl: auth.tokenUrl,
          },
        }),
      );
      const authorize = new URL(String(started.authorizeUrl));
      assert.equal(authorize.searchParams.get("code"), "true");
      assert.equal(authorize.searchParams.get("client_id"), "9d1c250a-e61b-44d9-88ed-5944d1962f5e");
      const landed = new URL(await auth.signIn(String(started.authorizeUrl)));
      // What Claude's callback page shows the user to paste.
      const shown = `${landed.searchParams.get("code")}#${landed.searchParams.get("state")}`;
      return await h.admin("/admin/oauth/finish", {
        method: "POST",
        json: { flow: started.flow, input: shown },
      });
    };
    const first = await signIn();
    assert.equal(first.status, 201, await first.clone().text());
    await first.body?.cancel();
    await (await h.admin("/admin/groups", {
      method: "POST",
      json: { id: "team", accounts: ["claude-1"] },
    })).text();
    const key = String(
      (await readJson(
        await h.admin("/admin/keys", { method: "POST", json: { id: "bob", group: "team" } }),
      )).key,
    );
    const ask = async () => {
      // Claude subscription accounts serve Claude Code's own requests only.
      const response = await callApi(h.url, "/v1/messages", {
        key: key,
        headers: { "user-agent": "claude-cli/2.0.0 (external, cli)", "x-app": "cli" },
        json: {
          model: "claude-x",
          max_tokens: 5,
          messages: [{ role: "user", content: "hi" }],
        },
      });
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await ask(), 200);
    assert.equal(backend.hits.at(-1)!.headers.get("authorization"), `Bearer ${auth.issued[0]}`);
    assert.match(backend.hits.at(-1)!.headers.get("anthropic-beta") ?? "", /oauth-2025-04-20/);

    // The refresh token died: the account is disabled for good, until a new sign-in.
    await h.gateway.states.apply("claude-1", {
      kind: "disable",
      reason: "OAuth refresh rejected (invalid_grant): sign in again",
      temporary: false,
    });
    assert.equal((await readJson(await h.admin("/admin/accounts/claude-1"))).state, "disabled");
    const again = await signIn();
    const row = await readJson(again);
    assert.equal(again.status, 200, JSON.stringify(row));
    assert.deepEqual([row.state, row.created], ["active", false]);
    assert.equal(await ask(), 200);
    assert.equal(backend.hits.at(-1)!.headers.get("authorization"), `Bearer ${auth.issued[1]}`);
  } finally {
    await h.close();
  }
});

Deno.test("an uploaded auth.json adds a Codex account; a file that is not one says why", async () => {
  await using backend = recordingUpstream();
  const h = await startGateway({ secret: SECRET, usageFlushMs: 60_000, config: {} });
  try {
    const access = fakeJwt({
      exp: Math.floor(Date.now() / 1000) + 3600,
      "https://api.openai.com/auth": { chatgpt_account_id: "acct-up" },
    });
    const file = JSON.stringify({
      tokens: { access_token: access, refresh_token: "rt-up", account_id: "acct-up" },
    });
    const response = await h.admin("/admin/oauth/import", {
      method: "POST",
      json: {
        platform: "openai",
        file,
        id: "codex-up",
        baseUrl: backend.url,
      },
    });
    const row = await readJson(response);
    assert.equal(response.status, 201, JSON.stringify(row));
    assert.equal(row.oauth, undefined, "no oauth object (tokens) in the row");
    assert.equal(h.gateway.directory.account("codex-up")?.account.oauth?.accountId, "acct-up");

    const wrong = await h.admin("/admin/oauth/import", {
      method: "POST",
      json: {
        platform: "openai",
        file: JSON.stringify({ OPENAI_API_KEY: "sk-x" }),
      },
    });
    const body = await readJson<{ error: { param: string; message: string } }>(wrong);
    assert.equal(wrong.status, 400);
    assert.equal(body.error.param, "file");
    assert.match(body.error.message, /API key, not a ChatGPT sign-in/);
    assert.ok(!JSON.stringify(body).includes("sk-x"));
  } finally {
    await h.close();
  }
});

Deno.test("an operator disables and enables an account; requests skip it meanwhile", async () => {
  await using one = upstream(() => mockJson(200, chatCompletion("one")));
  await using two = upstream(() => mockJson(200, chatCompletion("two")));
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      accounts: [
        { id: "a-1", platform: "openai", baseUrl: one.url, apiKey: "sk-1", priority: 1 },
        { id: "a-2", platform: "openai", baseUrl: two.url, apiKey: "sk-2", priority: 2 },
      ],
      groups: [{ id: "team", accounts: ["a-1", "a-2"] }],
      keys: [{ id: "alice", key: CLIENT, group: "team" }],
    },
  });
  try {
    const served = async () => {
      const response = await callApi(h.url, "/v1/chat/completions", {
        key: CLIENT,
        json: { model: "m" },
      });
      await response.body?.cancel();
      return response.headers.get("x-switchyard-account");
    };
    assert.equal(await served(), "a-1");
    const disabled = await readJson(
      await h.admin("/admin/accounts/a-1/disable", { method: "POST" }),
    );
    assert.deepEqual([disabled.state, disabled.reason], ["disabled", "disabled by an operator"]);
    assert.equal(disabled.probeAt, undefined, "an operator's disable gets no probes");
    assert.equal(await served(), "a-2");
    const enabled = await readJson(await h.admin("/admin/accounts/a-1/enable", { method: "POST" }));
    assert.equal(enabled.state, "active");
    assert.equal(await served(), "a-1");
    const unknown = await h.admin("/admin/accounts/ghost/disable", { method: "POST" });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const wrongMethod = await h.admin("/admin/accounts/a-1/disable");
    assert.equal(wrongMethod.status, 405);
    await wrongMethod.body?.cancel();
  } finally {
    await h.close();
  }
});

Deno.test("PUT /admin/keys/:id changes a key's group and limits and keeps its secret", async () => {
  await using one = upstream(() => mockJson(200, chatCompletion("one")));
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      accounts: [{ id: "a-1", platform: "openai", baseUrl: one.url, apiKey: "sk-1" }],
      groups: [{ id: "team", accounts: ["a-1"] }, { id: "other", accounts: ["a-1"] }],
      keys: [{ id: "alice", key: CLIENT, group: "team", rpm: 5 }],
    },
  });
  try {
    const put = async (body: unknown) => {
      const response = await h.admin("/admin/keys/alice", { method: "PUT", json: body });
      return { status: response.status, body: await readJson(response) };
    };
    const moved = await put({ group: "other", dailyTokens: 1000 });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(
      [moved.body.group, moved.body.rpm, moved.body.dailyTokens, moved.body.source],
      ["other", 5, 1000, "api"],
    );
    const lifted = await put({ rpm: null });
    assert.equal(lifted.body.rpm, undefined);
    assert.equal(lifted.body.dailyTokens, 1000);
    const response = await callApi(h.url, "/v1/chat/completions", {
      key: CLIENT,
      json: { model: "m" },
    });
    assert.equal(response.status, 200, "the same secret still works");
    await response.body?.cancel();
    const bad = await put({ group: "nobody" });
    assert.deepEqual([bad.status, (bad.body.error as { param: string }).param], [400, "group"]);
    const badLimit = await put({ rpm: 0 });
    assert.deepEqual([badLimit.status, (badLimit.body.error as { param: string }).param], [
      400,
      "rpm",
    ]);
    const missing = await h.admin("/admin/keys/ghost", { method: "PUT", json: { rpm: 1 } });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await h.close();
  }
});
