/**
 * Egress proxies, against real proxies on loopback (tinyproxy for HTTP,
 * microsocks for SOCKS5): an account's upstream requests and its OAuth
 * refreshes leave through its `proxy`, an account without one goes direct, a
 * proxy that cannot be reached is that account's connection failure (failover,
 * cooldown `unreachable`, `proxy unreachable` in the log), a proxy that
 * refuses a token refresh (407) cools the account instead of asking for a new
 * sign-in, and the proxy's credentials appear in no response and no log line.
 *
 * The proxies connect out from 127.0.0.2 (`tests/support/proxies.ts`), so the
 * upstream tells a proxied request by its peer address; tinyproxy adds `Via` too.
 */

import assert from "node:assert/strict";
import { json, startMockUpstream } from "../scripts/support/mock_upstream.ts";
import { chatRequest, CLIENT_KEY, SECRET, startGateway } from "./support/gateway.ts";
import {
  peerRecordingUpstream,
  proxiesMissing,
  PROXY_EGRESS_HOST,
  startMicrosocks,
  startTinyproxy,
} from "./support/proxies.ts";
import { keepAliveUpstream } from "./support/raw_http.ts";
import { chatCompletion, refusedUrl } from "./support/upstream.ts";

const missing = await proxiesMissing();
if (missing) console.warn(`proxies_test: skipped: ${missing}`);
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name: missing ? `${name} (skipped: ${missing})` : name, ignore: !!missing, fn });

const OTHER_KEY = "sk-client-bob-0123456789";
const PASSWORD = "pr0xy-s3cret-pw";

/** Two accounts on one upstream, each alone in a group: key alice reaches `proxied`, key bob `direct`. */
function twoGroups(baseUrl: string, proxy: string, extra: Record<string, unknown> = {}) {
  return {
    accounts: [
      { id: "proxied", platform: "openai", baseUrl, apiKey: "sk-up-1", proxy, ...extra },
      { id: "direct", platform: "openai", baseUrl, apiKey: "sk-up-2" },
    ],
    groups: [
      { id: "via-proxy", accounts: ["proxied"], allowPaths: ["/v1/files"] },
      { id: "no-proxy", accounts: ["direct"], allowPaths: ["/v1/files"] },
    ],
    keys: [
      { id: "alice", key: CLIENT_KEY, group: "via-proxy" },
      { id: "bob", key: OTHER_KEY, group: "no-proxy" },
    ],
  };
}

/** A proxied account (priority 0) and a direct one (priority 1) on one upstream, in one group. */
function proxiedThenDirect(baseUrl: string, proxy: string) {
  return {
    accounts: [
      { id: "proxied", platform: "openai", baseUrl, apiKey: "k1", priority: 0, proxy },
      { id: "direct", platform: "openai", baseUrl, apiKey: "k2", priority: 1 },
    ],
    groups: [{ id: "team", accounts: ["proxied", "direct"] }],
    keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
  };
}

test("an HTTP proxy with basic auth carries its account's requests; an account without one goes direct", async () => {
  await using proxy = await startTinyproxy({ user: "relay", password: PASSWORD });
  await using up = peerRecordingUpstream(() => Response.json(chatCompletion("hi")));
  await using gw = await startGateway({ config: twoGroups(`${up.url}/v1`, proxy.url) });

  const viaProxy = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(viaProxy.status, 200, await viaProxy.clone().text());
  assert.equal(viaProxy.headers.get("x-switchyard-account"), "proxied");
  await viaProxy.body?.cancel();
  // A request without a body goes on a fresh connection: through the proxy as well.
  const files = await gw.api("/v1/files");
  assert.equal(files.status, 200);
  await files.body?.cancel();
  const direct = await gw.api("/v1/chat/completions", { json: chatRequest(), key: OTHER_KEY });
  assert.equal(direct.headers.get("x-switchyard-account"), "direct");
  await direct.body?.cancel();

  assert.equal(up.seen.length, 3);
  for (const seen of up.seen.slice(0, 2)) {
    assert.equal(seen.peer, PROXY_EGRESS_HOST, `${seen.path} came from the proxy`);
    assert.match(seen.via ?? "", /tinyproxy/);
  }
  assert.equal(up.seen[2].peer, "127.0.0.1", "the direct account does not use the proxy");
  assert.equal(up.seen[2].via, null);

  // The proxy's password is write-only: masked in the API, absent from the log.
  const row = (await (await gw.admin("/admin/accounts/proxied")).json()) as Record<string, unknown>;
  assert.equal(row.proxy, `http://relay:***@127.0.0.1:${proxy.port}`);
  const list = await (await gw.admin("/admin/accounts")).text();
  assert.ok(!list.includes(PASSWORD), "the password is never returned");
  assert.ok(!JSON.stringify(gw.log).includes(PASSWORD), "the password is never logged");
});

test("a SOCKS5 proxy with a user and password carries its account's requests", async () => {
  await using proxy = await startMicrosocks({ user: "relay", password: PASSWORD });
  await using up = peerRecordingUpstream(() => Response.json(chatCompletion("hi")));
  await using gw = await startGateway({ config: twoGroups(`${up.url}/v1`, proxy.url) });

  for (const key of [CLIENT_KEY, OTHER_KEY]) {
    const response = await gw.api("/v1/chat/completions", { json: chatRequest(), key });
    assert.equal(response.status, 200, await response.clone().text());
    await response.body?.cancel();
  }
  assert.deepEqual(up.seen.map((seen) => seen.peer), [PROXY_EGRESS_HOST, "127.0.0.1"]);
  assert.ok(up.seen.every((seen) => seen.via === null), "SOCKS5 adds no header");
});

test("a proxy that cannot be reached fails over and cools its account as unreachable", async () => {
  await using up = peerRecordingUpstream(() => Response.json(chatCompletion("from direct")));
  const deadProxy = refusedUrl().replace("http://", "http://relay:" + PASSWORD + "@");
  await using gw = await startGateway({ config: proxiedThenDirect(`${up.url}/v1`, deadProxy) });

  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-switchyard-account"), "direct");
  await response.body?.cancel();
  assert.deepEqual(up.seen.map((seen) => seen.peer), ["127.0.0.1"]);

  const [first, second] = gw.log[0].attempts;
  assert.equal(first.account, "proxied");
  assert.equal(first.outcome, "unreachable");
  assert.equal(first.effect, "cooldown:unreachable");
  assert.equal(first.detail, "proxy unreachable (connection refused)");
  assert.equal(second.outcome, "success");
  const view = await gw.account("proxied");
  assert.equal(view.state, "cooldown");
  assert.equal(view.reason, "unreachable");
  assert.ok(!JSON.stringify(gw.log).includes(PASSWORD));
});

test("wrong proxy credentials: the proxy refuses the tunnel, a connection failure of the account", async () => {
  await using proxy = await startTinyproxy({ user: "relay", password: PASSWORD });
  await using up = peerRecordingUpstream(() => Response.json(chatCompletion("from direct")));
  const wrong = proxy.url.replace(PASSWORD, "not-the-password");
  // An https upstream, as every real one is: the proxy is asked for a CONNECT tunnel first.
  const config = proxiedThenDirect(`${up.url}/v1`, wrong);
  config.accounts[0].baseUrl = `https://127.0.0.1:${up.url.split(":").at(-1)}/v1`;
  await using gw = await startGateway({ config });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.headers.get("x-switchyard-account"), "direct");
  await response.body?.cancel();
  assert.equal(gw.log[0].attempts[0].detail, "proxy unreachable (tunnel refused)");
  assert.equal((await gw.account("proxied")).reason, "unreachable");
  assert.ok(!JSON.stringify(gw.log).includes("not-the-password"));
});

test("a SOCKS5 proxy that is down fails over too", async () => {
  await using up = peerRecordingUpstream(() => Response.json(chatCompletion("from direct")));
  const deadProxy = refusedUrl().replace("http://", "socks5://");
  await using gw = await startGateway({ config: proxiedThenDirect(`${up.url}/v1`, deadProxy) });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.headers.get("x-switchyard-account"), "direct");
  await response.body?.cancel();
  assert.match(gw.log[0].attempts[0].detail ?? "", /^proxy unreachable/);
  assert.equal((await gw.account("proxied")).reason, "unreachable");
});

test("an OAuth account's token refresh leaves through its proxy", async () => {
  await using proxy = await startTinyproxy({ user: "relay", password: PASSWORD });
  await using tokens = peerRecordingUpstream(() => {
    return Response.json({
      access_token: "access-1",
      refresh_token: "refresh-1",
      expires_in: 3600,
    });
  });
  const upstream = startMockUpstream(() => json(200, { ok: true }));
  try {
    const account = {
      id: "codex-1",
      platform: "openai",
      baseUrl: upstream.url,
      proxy: proxy.url,
      oauth: {
        accessToken: "access-0",
        refreshToken: "refresh-0",
        // About to expire: the first request refreshes first.
        expiresAt: Date.now() + 60_000,
        accountId: "acct-1",
        tokenUrl: `${tokens.url}/oauth/token`,
      },
    };
    await using gw = await startGateway({
      config: {
        accounts: [account],
        groups: [{ id: "team", accounts: ["codex-1"] }],
        keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
      },
      secret: SECRET,
    });
    const response = await gw.api("/v1/responses", { json: { model: "gpt-test", input: "hi" } });
    assert.equal(response.status, 200, await response.clone().text());
    await response.body?.cancel();
    assert.equal(tokens.seen.length, 1, "one refresh");
    assert.equal(tokens.seen[0].peer, PROXY_EGRESS_HOST, "the refresh came through the proxy");
    assert.match(tokens.seen[0].via ?? "", /tinyproxy/);
    assert.equal(upstream.hits[0].headers.get("authorization"), "Bearer access-1");
  } finally {
    await upstream.close();
  }
});

test("an HTTP proxy's own 407 on a token refresh is a connection failure of the account, not a refused refresh", async () => {
  await using proxy = await startTinyproxy({ user: "relay", password: PASSWORD });
  // Were a refresh to reach it, the token endpoint would refuse the grant: none must.
  await using tokens = peerRecordingUpstream(() =>
    Response.json({ error: "invalid_grant" }, { status: 400 })
  );
  // A proxy that answers 407 itself, with a body a token endpoint's refusal could have: what a
  // proxy says about its own credentials is not the token endpoint's word on the refresh token.
  await using strict = peerRecordingUpstream(() =>
    Response.json({ error: "invalid_grant" }, {
      status: 407,
      headers: { "proxy-authenticate": 'Basic realm="proxy"' },
    })
  );
  await using up = peerRecordingUpstream(() => Response.json(chatCompletion("from direct")));
  const wrong = proxy.url.replace(PASSWORD, "not-the-password");
  const tokenPort = tokens.url.split(":").at(-1);
  const oauthAccount = (id: string, proxyUrl: string, tokenUrl: string) => ({
    id,
    platform: "openai",
    baseUrl: `${up.url}/backend-api/codex`,
    priority: 0,
    proxy: proxyUrl,
    oauth: {
      accessToken: "access-0",
      refreshToken: "refresh-0",
      expiresAt: Date.now() - 1000,
      accountId: "acct-1",
      tokenUrl,
    },
  });
  const refusing = ["codex-http", "codex-tls", "codex-407"];
  await using gw = await startGateway({
    secret: SECRET,
    config: {
      accounts: [
        // tinyproxy with the wrong password, for a plain-http token URL and an https one (CONNECT).
        oauthAccount("codex-http", wrong, `${tokens.url}/oauth/token`),
        oauthAccount("codex-tls", wrong, `https://127.0.0.1:${tokenPort}/oauth/token`),
        oauthAccount(
          "codex-407",
          `http://relay:${PASSWORD}@${strict.url.slice(7)}`,
          `${tokens.url}/oauth/token`,
        ),
        { id: "direct", platform: "openai", baseUrl: `${up.url}/v1`, apiKey: "k2", priority: 1 },
      ],
      groups: [{ id: "team", accounts: [...refusing, "direct"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
    },
  });
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get("x-switchyard-account"), "direct");
  await response.body?.cancel();
  assert.equal(tokens.seen.length, 0, "no refresh reached the token endpoint");
  assert.equal(strict.seen.length, 1, "the refresh went to the strict proxy");

  assert.deepEqual(
    gw.log[0].attempts.map((attempt) => [attempt.account, attempt.effect ?? "-"]),
    [...refusing.map((id) => [id, "cooldown:unreachable"]), ["direct", "-"]],
  );
  for (const id of refusing) {
    const view = await gw.account(id);
    assert.equal(view.state, "cooldown", `${id}: ${JSON.stringify(view)}`);
    assert.equal(view.reason, "unreachable");
  }
  // An account test says why: the proxy, not the token.
  const why = async (id: string) =>
    (await (await gw.admin(`/admin/accounts/${id}/test`, { method: "POST" })).json()).error;
  assert.match(await why("codex-http"), /token endpoint unreachable through the proxy/);
  assert.match(await why("codex-tls"), /token endpoint unreachable through the proxy/);
  assert.match(await why("codex-407"), /the proxy refused the request \(407\)/);
  assert.equal((await gw.account("codex-407")).state, "cooldown", "still no reauth");
  assert.ok(!JSON.stringify(gw.log).includes("not-the-password"));
});

test("a proxy with a bad URL is refused by the management API without echoing it", async () => {
  await using gw = await startGateway({ accounts: [], secret: SECRET });
  const bad = await gw.admin("/admin/accounts", {
    method: "POST",
    json: {
      id: "x",
      platform: "openai",
      baseUrl: "https://api.example.com/v1",
      apiKey: "sk-x",
      proxy: `ftp://relay:${PASSWORD}@127.0.0.1:8080`,
    },
  });
  assert.equal(bad.status, 400);
  const text = await bad.text();
  assert.match(text, /proxy/);
  assert.ok(!text.includes(PASSWORD));

  const good = await gw.admin("/admin/accounts", {
    method: "POST",
    json: {
      id: "x",
      platform: "openai",
      baseUrl: "https://api.example.com/v1",
      apiKey: "sk-x",
      proxy: `socks5://relay:${PASSWORD}@127.0.0.1:1080`,
    },
  });
  assert.equal(good.status, 201, await good.clone().text());
  const created = await good.text();
  assert.ok(!created.includes(PASSWORD));
  assert.match(created, /socks5:\/\/relay:\*\*\*@127\.0\.0\.1:1080/);
  // Left out of an edit, it stays; `null` removes it.
  await (await gw.admin("/admin/accounts/x", { method: "PUT", json: { priority: 5 } })).body
    ?.cancel();
  assert.equal(
    gw.gateway.directory.account("x")?.account.proxy,
    `socks5://relay:${PASSWORD}@127.0.0.1:1080`,
  );
  await (await gw.admin("/admin/accounts/x", { method: "PUT", json: { proxy: null } })).body
    ?.cancel();
  assert.equal(gw.gateway.directory.account("x")?.account.proxy, undefined);
});

test("a pooled connection through a SOCKS5 proxy that the upstream closed is retried on a fresh proxied one", async () => {
  await using proxy = await startMicrosocks();
  // Closes a connection when a second request arrives on it; microsocks passes the close on.
  await using a = keepAliveUpstream((request) =>
    request.onConnection >= 1 ? "close" : { status: 200, json: chatCompletion("from a") }
  );
  await using gw = await startGateway({
    config: {
      accounts: [{
        id: "a",
        platform: "openai",
        baseUrl: `${a.url}/v1`,
        apiKey: "k",
        proxy: proxy.url,
      }],
      groups: [{ id: "team", accounts: ["a"] }],
      keys: [{ id: "alice", key: CLIENT_KEY, group: "team" }],
    },
  });
  for (let i = 0; i < 2; i++) {
    const response = await gw.api("/v1/chat/completions", { json: chatRequest("again?") });
    assert.equal(response.status, 200, await response.clone().text());
    await response.body?.cancel();
  }
  assert.deepEqual(a.requests.map((request) => request.onConnection), [0, 1, 0]);
  assert.deepEqual(a.requests.map((request) => request.peer), Array(3).fill(PROXY_EGRESS_HOST));
  assert.deepEqual(
    gw.log[1].attempts.map((attempt) => [attempt.account, attempt.outcome]),
    [["a", "stale-connection"], ["a", "success"]],
  );
  assert.equal((await gw.account("a")).state, "active");
});

Deno.test("without the proxies, a test skips with the reason, but under CI it fails", async () => {
  // An empty PATH: neither the proxies nor apt-get can be found, as on a machine without them.
  const path = Deno.env.get("PATH");
  const empty = await Deno.makeTempDir({ prefix: "switchyard-no-path-" });
  Deno.env.set("PATH", empty);
  try {
    assert.match(await proxiesMissing(false) ?? "", /tinyproxy and microsocks are not installed/);
    await assert.rejects(() => proxiesMissing(true), /under CI the proxy tests must run/);
  } finally {
    if (path === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", path);
    await Deno.remove(empty);
  }
});
