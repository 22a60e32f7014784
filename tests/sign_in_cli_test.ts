/**
 * `deno task accounts login-codex` and `login-claude` as a user runs them: a
 * real process prints the address to open, the mock authorization server
 * signs the "browser" in, what the provider handed over is pasted on stdin,
 * and the account is stored (sealed) and, with `--add`, serves requests
 * through a gateway on the same KV.
 */

import assert from "node:assert/strict";
import { within } from "./support/async.ts";
import { startAuthServer } from "./support/auth_server.ts";
import { callApi, readJson, startGateway } from "./support/gateway.ts";
import { ROOT } from "./support/process.ts";
import { chatCompletion, json as mockJson, upstream } from "./support/upstream.ts";

/** Runs `scripts/accounts.ts`, answering its prompt with `answer(printed address)`. */
async function login(
  args: string[],
  env: Record<string, string>,
  answer: (address: string) => Promise<string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--config", `${ROOT}deno.json`, "-A", `${ROOT}scripts/accounts.ts`, ...args],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let stdout = "";
  const reader = child.stdout.getReader();
  const address = await within(
    (async () => {
      while (!stdout.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += decoder.decode(value, { stream: true });
      }
      return stdout.split("\n")[0];
    })(),
    "the sign-in address",
    30_000,
  );
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${await answer(address)}\n`));
  await writer.close();
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stdout += decoder.decode(value, { stream: true });
    }
  })();
  const stderr = new Response(child.stderr).text();
  const status = await within(child.status, "the sign-in to end", 30_000);
  await rest;
  return { code: status.code, stdout, stderr: await stderr };
}

Deno.test("login-codex --add: sign in from a terminal, the account serves through a gateway", async () => {
  await using auth = startAuthServer("codex", { chatgptAccountId: "acct-cli" });
  await using backend = upstream(() => mockJson(200, chatCompletion("via cli")));
  const dir = await Deno.makeTempDir({ prefix: "switchyard-login-" });
  try {
    const kvPath = `${dir}/state.kv`;
    const run = await login(
      [
        "login-codex",
        "--add",
        "--id",
        "codex-cli",
        "--base-url",
        backend.url,
        "--authorize-url",
        auth.authorizeUrl,
        "--token-url",
        auth.tokenUrl,
      ],
      { SWITCHYARD_KV: kvPath },
      (address) => {
        assert.ok(address.startsWith(`${auth.authorizeUrl}?`), address);
        return auth.signIn(address);
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /copy that whole address/);
    assert.match(run.stderr, /added account "codex-cli"/);
    const entry = JSON.parse(run.stdout.slice(run.stdout.indexOf("\n") + 1));
    assert.deepEqual(entry, {
      id: "codex-cli",
      platform: "openai",
      oauth: { accountId: "acct-cli" },
    });
    for (const token of auth.issued) assert.ok(!run.stdout.includes(token), "no token printed");

    // A gateway on the same KV (and the secret the script made beside it) has the account.
    const secret = (await Deno.readTextFile(`${dir}/switchyard.secret`)).trim();
    const h = await startGateway({ config: {}, kvPath, secret });
    try {
      await (await h.admin("/admin/groups", {
        method: "POST",
        json: { id: "team", accounts: ["codex-cli"] },
      }))
        .text();
      const key = await readJson(
        await h.admin("/admin/keys", { method: "POST", json: { id: "k", group: "team" } }),
      );
      // Codex serves the Responses API (a Chat request would be translated).
      const response = await callApi(h.url, "/v1/responses", {
        key: String(key.key),
        json: { model: "m", input: "hi" },
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
      assert.equal(backend.hits[0].headers.get("authorization"), `Bearer ${auth.issued[0]}`);
      assert.equal(backend.hits[0].headers.get("chatgpt-account-id"), "acct-cli");
    } finally {
      await h.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("login-claude --print: the pasted code#state becomes a config entry with tokens", async () => {
  await using auth = startAuthServer("claude");
  const run = await login(
    [
      "login-claude",
      "--print",
      "--id",
      "claude-cli",
      "--authorize-url",
      auth.authorizeUrl,
      "--token-url",
      auth.tokenUrl,
    ],
    {},
    async (address) => {
      const landed = new URL(await auth.signIn(address));
      return `${landed.searchParams.get("code")}#${landed.searchParams.get("state")}`;
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const entry = JSON.parse(run.stdout.slice(run.stdout.indexOf("\n") + 1));
  assert.equal(entry.id, "claude-cli");
  assert.equal(entry.platform, "anthropic");
  assert.equal(entry.oauth.accessToken, auth.issued[0]);
  assert.match(entry.oauth.refreshToken, /^rt-/);
});

Deno.test("login-codex: an answer from another sign-in is refused with one line", async () => {
  await using auth = startAuthServer("codex");
  const run = await login(
    ["login-codex", "--print", "--authorize-url", auth.authorizeUrl, "--token-url", auth.tokenUrl],
    {},
    () => Promise.resolve("http://127.0.0.1:1455/auth/callback?code=abc&state=elsewhere"),
  );
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr.trim().split("\n").at(-1),
    "switchyard: that answer belongs to another sign-in (the state differs): start again",
  );
  assert.equal(auth.hits.filter((hit) => hit.path.startsWith("/oauth/token")).length, 0);
});
