import assert from "node:assert/strict";
import {
  chatCompletion,
  json as mockJson,
  startMockUpstream,
} from "../scripts/support/mock_upstream.ts";
import { type AdminIo, runAdmin } from "../scripts/admin.ts";
import { ADMIN_TOKEN, callApi, SECRET, startGateway } from "./support/gateway.ts";

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
      assert.deepEqual(dave?.split(/\s+/), ["dave", "1", "5", "7", "0"]);
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
