import assert from "node:assert/strict";
import {
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../scripts/support/mock_upstream.ts";
import { type AdminIo, runAdmin } from "../scripts/admin.ts";
import { ADMIN_TOKEN, callApi, SECRET, startGateway } from "./support/gateway.ts";
import { startAuthServer } from "./support/auth_server.ts";
import { upstream } from "./support/upstream.ts";

function io(url: string) {
  const out: string[] = [];
  const err: string[] = [];
  const env: Record<string, string> = { SWITCHYARD_URL: url, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN };
  const value: AdminIo = {
    env: (name) => env[name],
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  };
  return { io: value, out, err };
}

Deno.test("deno task admin: keys, accounts and usage over the HTTP API", async (t) => {
  const forbidden = startMockUpstream(() =>
    mockJson(403, { error: { message: "no", type: "forbidden_error" } })
  );
  const healthy = startMockUpstream(() => mockJson(200, chatCompletion("hi")));
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: {
      accounts: [
        {
          id: "codex-1",
          platform: "openai",
          passthrough: true,
          baseUrl: forbidden.url,
          apiKey: "sk-a",
          priority: 1,
        },
        { id: "oa-1", platform: "openai", baseUrl: healthy.url, apiKey: "sk-b", priority: 2 },
      ],
      groups: [{ id: "team", accounts: ["codex-1", "oa-1"] }],
      keys: [],
    },
  });
  try {
    let secret = "";
    await t.step("keys create prints the key once", async () => {
      const cli = io(h.url);
      assert.equal(
        await runAdmin(["keys", "create", "dave", "--group", "team", "--rpm", "30"], cli.io),
        0,
      );
      secret = cli.out[1];
      assert.match(secret, /^sy-/);
      assert.match(cli.out[0], /created key "dave" in group "team"/);
    });

    await t.step("usage shows the key's tokens", async () => {
      const response = await callApi(h.url, "/v1/chat/completions", {
        key: secret,
        json: { model: "m" },
      });
      await response.text();
      const cli = io(h.url);
      assert.equal(await runAdmin(["usage", "--by", "key"], cli.io), 0);
      const dave = cli.out.find((line) => line.startsWith("dave"));
      assert.deepEqual(dave?.split(/\s+/), ["dave", "1", "5", "7", "0", "0.0000"]);
    });

    await t.step("keys list shows limits and no secret", async () => {
      const cli = io(h.url);
      assert.equal(await runAdmin(["keys", "list"], cli.io), 0);
      assert.deepEqual(cli.out.map((line) => line.split(/\s+/)), [
        ["ID", "GROUP", "RPM", "DAILY", "TOKENS", "CONCURRENCY", "SOURCE"],
        ["dave", "team", "30", "-", "-", "api"],
      ]);
      assert.ok(!cli.out.join("\n").includes(secret));
    });

    await t.step("accounts list shows the cooling account; accounts reset clears it", async () => {
      const cli = io(h.url);
      assert.equal(await runAdmin(["accounts", "list", "--json"], cli.io), 0);
      const rows = JSON.parse(cli.out.join("\n")) as { id: string; state: string }[];
      assert.deepEqual(rows.map((r) => [r.id, r.state]), [["codex-1", "cooldown"], [
        "oa-1",
        "active",
      ]]);
      const table = io(h.url);
      await runAdmin(["accounts", "list"], table.io);
      assert.match(
        table.out[1],
        /^codex-1\s+openai\s+cooldown\s+\d+m\d\ds\s+forbidden\s+1\s+config$/,
      );

      const reset = io(h.url);
      assert.equal(await runAdmin(["accounts", "reset", "codex-1"], reset.io), 0);
      assert.deepEqual(reset.out, ['reset account "codex-1": active']);
    });

    await t.step("accounts test prints the result; a failing test exits 1", async () => {
      const passing = io(h.url);
      assert.equal(await runAdmin(["accounts", "test", "oa-1", "--model", "gpt-t"], passing.io), 0);
      assert.match(passing.out[0], /^test account "oa-1": ok \(200, \d+ ms, gpt-t\)$/);
      const failing = io(h.url);
      assert.equal(await runAdmin(["accounts", "test", "codex-1"], failing.io), 1);
      assert.match(
        failing.out[0],
        /^test account "codex-1": FAILED \(403, \d+ ms, gpt-4o-mini\): no$/,
      );
      assert.match(failing.err[0], /the test of account "codex-1" failed/);
    });

    await t.step("keys revoke, then the key is refused", async () => {
      const cli = io(h.url);
      assert.equal(await runAdmin(["keys", "revoke", "dave"], cli.io), 0);
      const response = await callApi(h.url, "/v1/chat/completions", { key: secret, json: {} });
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });

    await t.step("errors: API problems exit 1 with the message, misuse exits 2", async () => {
      const missing = io(h.url);
      assert.equal(await runAdmin(["keys", "revoke", "nobody"], missing.io), 1);
      assert.match(missing.err[0], /404: unknown key "nobody"/);
      const bad = io(h.url);
      assert.equal(await runAdmin(["keys", "create", "x", "--group", "ghost"], bad.io), 1);
      assert.match(bad.err[0], /400: group: unknown group "ghost"/);
      const wrongToken = io(h.url);
      assert.equal(await runAdmin(["keys", "list", "--token", "nope"], wrongToken.io), 1);
      assert.match(wrongToken.err[0], /401/);
      const unknown = io(h.url);
      assert.equal(await runAdmin(["frobnicate"], unknown.io), 2);
    });
  } finally {
    await h.close();
    await forbidden.close();
    await healthy.close();
  }
});

Deno.test("deno task admin runs as a real process", async () => {
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: { accounts: [], groups: [{ id: "team", accounts: [] }], keys: [] },
  });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        "scripts/admin.ts",
        "keys",
        "create",
        "eve",
        "--group",
        "team",
      ],
      env: { SWITCHYARD_URL: h.url, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.match(stdout, /created key "eve"/);
    assert.match(stdout, /^sy-[A-Za-z0-9_-]{43}$/m);
  } finally {
    await h.close();
  }
});

Deno.test("deno task admin: accounts, groups and key limits from a terminal, --json everywhere", async (t) => {
  await using backend = upstream(() => mockJson(200, chatCompletion("hi")));
  const h = await startGateway({ config: {}, secret: SECRET });
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const cli = io(h.url);
    const base = cli.io.env;
    cli.io.env = (name) => env[name] ?? base(name);
    const code = await runAdmin(args, cli.io);
    return { code, out: cli.out, err: cli.err };
  };
  try {
    await t.step("accounts add takes the key from a variable, never prints it", async () => {
      const added = await run(
        [
          "accounts",
          "add",
          "oa-1",
          "--platform",
          "openai",
          "--base-url",
          backend.url,
          "--api-key-env",
          "UPSTREAM_KEY",
          "--priority",
          "2",
          "--concurrency",
          "4",
        ],
        { UPSTREAM_KEY: "sk-from-env" },
      );
      assert.equal(added.code, 0, added.err.join("\n"));
      assert.deepEqual(added.out, ['added account "oa-1" (openai); list it in a group to use it']);
      const json = await run(["accounts", "list", "--json"]);
      const rows = JSON.parse(json.out.join("\n"));
      assert.deepEqual([rows[0].priority, rows[0].concurrency], [2, 4]);
      assert.ok(!json.out.join("").includes("sk-from-env"));
      const missing = await run([
        "accounts",
        "add",
        "oa-2",
        "--platform",
        "openai",
        "--base-url",
        backend.url,
        "--api-key-env",
        "NOPE",
      ]);
      assert.equal(missing.code, 2);
      assert.match(missing.err[0], /NOPE is not set/);
    });

    await t.step("accounts update lifts a limit with none; disable and enable", async () => {
      const updated = await run(["accounts", "update", "oa-1", "--concurrency", "none", "--json"]);
      assert.equal(updated.code, 0, updated.err.join("\n"));
      assert.equal(JSON.parse(updated.out.join("\n")).concurrency, undefined);
      const disabled = await run(["accounts", "disable", "oa-1"]);
      assert.deepEqual(disabled.out, ['disable account "oa-1": disabled']);
      const enabled = await run(["accounts", "enable", "oa-1"]);
      assert.deepEqual(enabled.out, ['enable account "oa-1": active']);
    });

    await t.step("groups add, list, update, and keys update", async () => {
      assert.equal((await run(["groups", "add", "team", "--accounts", "oa-1"])).code, 0);
      const updated = await run(["groups", "update", "team", "--avoid-above", "90"]);
      assert.equal(updated.code, 0, updated.err.join("\n"));
      const listed = await run(["groups", "list"]);
      assert.deepEqual(listed.out.map((line) => line.split(/\s+/)), [
        ["ID", "ACCOUNTS", "AVOID", "ABOVE", "ORDER", "ALLOW", "PATHS", "SOURCE"],
        ["team", "oa-1", "90%", "-", "-", "api"],
      ]);
      assert.equal((await run(["keys", "create", "bob", "--group", "team", "--rpm", "5"])).code, 0);
      const limited = await run([
        "keys",
        "update",
        "bob",
        "--rpm",
        "none",
        "--daily-tokens",
        "900",
      ]);
      assert.deepEqual(limited.out, ['updated key "bob": group team, 900 tokens/day']);
      const nothing = await run(["keys", "update", "bob"]);
      assert.equal(nothing.code, 2);
    });

    await t.step(
      "groups remove refuses a group in use, accounts remove a listed account",
      async () => {
        const group = await run(["groups", "remove", "team"]);
        assert.equal(group.code, 1);
        assert.match(group.err[0], /409: group "team" is used by key "bob"/);
        const account = await run(["accounts", "remove", "oa-1"]);
        assert.match(account.err[0], /409: account "oa-1" is used by group "team"/);
        await run(["keys", "revoke", "bob"]);
        assert.deepEqual((await run(["groups", "remove", "team"])).out, ['removed group "team"']);
        assert.deepEqual((await run(["accounts", "remove", "oa-1"])).out, [
          'removed account "oa-1"',
        ]);
      },
    );

    await t.step(
      "login-codex through the gateway: the printed address, the pasted answer",
      async () => {
        await using auth = startAuthServer("codex");
        const cli = io(h.url);
        cli.io.readLine = async () => await auth.signIn(cli.out[0]);
        const code = await runAdmin(
          [
            "login-codex",
            "--id",
            "codex-9",
            "--base-url",
            backend.url,
            "--authorize-url",
            auth.authorizeUrl,
            "--token-url",
            auth.tokenUrl,
          ],
          cli.io,
        );
        assert.equal(code, 0, cli.err.join("\n"));
        assert.ok(cli.out[0].startsWith(auth.authorizeUrl));
        assert.equal(cli.out[1], 'added account "codex-9" (Codex); list it in a group to use it');
        assert.match(cli.err.join("\n"), /copy that whole address/);
      },
    );
  } finally {
    await h.close();
  }
});
