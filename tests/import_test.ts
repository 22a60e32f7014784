import assert from "node:assert/strict";
import { json, startMockUpstream } from "../scripts/support/mock_upstream.ts";
import {
  ImportError,
  parseClaudeCredentials,
  parseCodexAuth,
} from "../lib/providers/oauth/import.ts";
import { callApi, configDoc, SECRET, startGateway, tempKvPath } from "./support/gateway.ts";
import { fakeJwt } from "./support/auth_server.ts";
import { SecretBox } from "../lib/crypto/secret_box.ts";
import { TokenStore } from "../lib/providers/oauth/token_store.ts";

const jwt = fakeJwt;

const EXP = Math.floor(Date.now() / 1000) + 7 * 24 * 3600;
const CODEX_ACCESS = jwt({
  exp: EXP,
  "https://api.openai.com/auth": { chatgpt_account_id: "acc-9f8e7d6c" },
});

/** Codex CLI's auth.json, as `codex login` writes it. */
const CODEX_AUTH = {
  OPENAI_API_KEY: null,
  tokens: {
    id_token: jwt({
      email: "dev@example.com",
      "https://api.openai.com/auth": { chatgpt_account_id: "acc-9f8e7d6c" },
    }),
    access_token: CODEX_ACCESS,
    refresh_token: "rt-codex-fixture",
    account_id: "acc-9f8e7d6c",
  },
  last_refresh: "2025-01-01T00:00:00Z",
};

/** Claude Code's .credentials.json. */
const CLAUDE_CREDENTIALS = {
  claudeAiOauth: {
    accessToken: "sk-ant-oat01-fixture",
    refreshToken: "sk-ant-ort01-fixture",
    expiresAt: Date.now() + 8 * 3600_000,
    scopes: ["user:inference", "user:profile"],
    subscriptionType: "max",
  },
};

async function runAccounts(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../scripts/accounts.ts", import.meta.url).pathname,
      ...args,
    ],
    env,
    stdin: "null",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test("credential file parsers", async (t) => {
  await t.step("Codex auth.json", () => {
    const imported = parseCodexAuth(JSON.stringify(CODEX_AUTH), "auth.json");
    assert.equal(imported.platform, "openai");
    assert.equal(imported.tokens.accessToken, CODEX_ACCESS);
    assert.equal(imported.tokens.refreshToken, "rt-codex-fixture");
    assert.equal(imported.tokens.accountId, "acc-9f8e7d6c");
    assert.equal(imported.tokens.expiresAt, EXP * 1000);
    assert.equal(imported.suggestedId, "codex-acc9f8e7");
  });
  await t.step("Claude .credentials.json", () => {
    const imported = parseClaudeCredentials(
      JSON.stringify(CLAUDE_CREDENTIALS),
      ".credentials.json",
    );
    assert.equal(imported.platform, "anthropic");
    assert.equal(imported.tokens.refreshToken, "sk-ant-ort01-fixture");
    assert.equal(imported.tokens.expiresAt, CLAUDE_CREDENTIALS.claudeAiOauth.expiresAt);
  });
  await t.step("bad files name the problem without tokens", () => {
    assert.throws(() => parseCodexAuth('{"OPENAI_API_KEY":"sk-x"}', "a.json"), /API key/);
    assert.throws(() => parseCodexAuth("{", "a.json"), ImportError);
    assert.throws(
      () => parseClaudeCredentials('{"claudeAiOauth":{"accessToken":"x"}}', "c.json"),
      /claudeAiOauth.refreshToken is missing/,
    );
  });
});

Deno.test("deno task accounts import-codex / import-claude", async (t) => {
  const tmp = await tempKvPath();
  const codexPath = `${tmp.dir}/auth.json`;
  const claudePath = `${tmp.dir}/.credentials.json`;
  await Deno.writeTextFile(codexPath, JSON.stringify(CODEX_AUTH));
  await Deno.writeTextFile(claudePath, JSON.stringify(CLAUDE_CREDENTIALS));
  const env = { SWITCHYARD_KV: tmp.path, SWITCHYARD_SECRET: SECRET, HOME: tmp.dir };
  const upstream = startMockUpstream(() => json(200, { ok: true }));
  try {
    await t.step("--print prints a full config entry and writes nothing", async () => {
      const run = await runAccounts(
        ["import-claude", claudePath, "--id", "claude-max", "--print"],
        env,
      );
      assert.equal(run.code, 0, run.stderr);
      const entry = JSON.parse(run.stdout);
      assert.deepEqual(entry, {
        id: "claude-max",
        platform: "anthropic",
        oauth: {
          accessToken: "sk-ant-oat01-fixture",
          refreshToken: "sk-ant-ort01-fixture",
          expiresAt: CLAUDE_CREDENTIALS.claudeAiOauth.expiresAt,
        },
      });
    });

    await t.step("import writes encrypted tokens to KV and a gateway uses them", async () => {
      const codex = await runAccounts(["import-codex", codexPath, "--id", "codex-a"], env);
      assert.equal(codex.code, 0, codex.stderr);
      assert.deepEqual(JSON.parse(codex.stdout), {
        id: "codex-a",
        platform: "openai",
        oauth: { accountId: "acc-9f8e7d6c" },
      });
      assert.ok(!codex.stdout.includes("rt-codex-fixture"), "no token printed");
      // Default path: ~/.claude/.credentials.json
      await Deno.mkdir(`${tmp.dir}/.claude`);
      await Deno.copyFile(claudePath, `${tmp.dir}/.claude/.credentials.json`);
      const claude = await runAccounts(["import-claude", "--id", "claude-a"], env);
      assert.equal(claude.code, 0, claude.stderr);

      const kv = await Deno.openKv(tmp.path);
      const raw = JSON.stringify(
        (await kv.get(["switchyard", "oauth", "codex-a", "tokens"])).value,
      );
      kv.close();
      assert.ok(raw.length > 20 && !raw.includes("rt-codex-fixture"), "stored encrypted");

      const doc = configDoc([
        { ...JSON.parse(codex.stdout), baseUrl: upstream.url },
        { ...JSON.parse(claude.stdout), baseUrl: upstream.url },
      ]);
      const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
      try {
        const a = await callApi(gw.url, "/v1/responses", { json: { model: "m", input: "hi" } });
        assert.equal(a.status, 200);
        await a.body?.cancel();
        const b = await callApi(gw.url, "/v1/messages", {
          json: { model: "m", max_tokens: 1, messages: [] },
          // Claude Code's own request: the subscription account serves nothing else.
          headers: { "user-agent": "claude-cli/2.0.0 (external, cli)", "x-app": "cli" },
        });
        assert.equal(b.status, 200);
        await b.body?.cancel();
      } finally {
        await gw.close();
      }
      assert.equal(upstream.hits[0].headers.get("authorization"), `Bearer ${CODEX_ACCESS}`);
      assert.equal(upstream.hits[0].headers.get("chatgpt-account-id"), "acc-9f8e7d6c");
      assert.equal(upstream.hits[1].headers.get("authorization"), "Bearer sk-ant-oat01-fixture");
    });

    await t.step(
      "without SWITCHYARD_SECRET the import seals with the secret beside the KV file",
      async () => {
        const run = await runAccounts(["import-codex", codexPath, "--id", "codex-b"], {
          SWITCHYARD_KV: tmp.path,
        });
        assert.equal(run.code, 0, run.stderr);
        // The same file the gateway makes and uses when SWITCHYARD_SECRET is unset.
        const secret = (await Deno.readTextFile(`${tmp.dir}/switchyard.secret`)).trim();
        const kv = await Deno.openKv(tmp.path);
        try {
          const store = new TokenStore(kv, await SecretBox.fromSecret(secret, "oauth-tokens"));
          const read = await store.read("codex-b");
          assert.equal(read.kind, "tokens");
        } finally {
          kv.close();
        }
      },
    );

    await t.step(
      "a KV with no file beside it (:memory:, KV Connect) needs SWITCHYARD_SECRET",
      async () => {
        const run = await runAccounts(["import-codex", codexPath], {
          SWITCHYARD_KV: ":memory:",
        });
        assert.equal(run.code, 1);
        assert.match(run.stderr, /SWITCHYARD_SECRET/);
      },
    );
  } finally {
    await upstream.close();
    await tmp.cleanup();
  }
});
