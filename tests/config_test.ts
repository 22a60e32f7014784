/**
 * Config validation and loading: defaults field by field, `${VAR}`
 * expansion, cross-reference errors that name the field, unreadable sources,
 * and `main.ts` refusing to start with one clear line.
 */

import assert from "node:assert/strict";
import { ConfigError } from "../lib/config/errors.ts";
import { ConfigLoadError, loadConfig, loadConfigOrEmpty } from "../lib/config/load.ts";
import { validateConfig } from "../lib/config/validate.ts";
import { assertOneLineExit, runMain } from "./support/process.ts";

type Env = (name: string) => string | undefined;
const NO_ENV: Env = () => undefined;
const envOf = (vars: Record<string, string>): Env => (name) => vars[name];

/** The smallest valid config. */
function minimal(): Record<string, unknown> {
  return {
    accounts: [{
      id: "oa-1",
      platform: "openai",
      baseUrl: "https://api.openai.com/v1",
      apiKey: "sk-up",
    }],
    groups: [{ id: "team", accounts: ["oa-1"] }],
    keys: [{ id: "alice", key: "sk-alice-0001", group: "team" }],
  };
}

/** The config error a document produces; fails if it validates. */
function configError(document: unknown, env: Env = NO_ENV): ConfigError {
  try {
    validateConfig(document, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail("the config validated");
}

const ISSUE_DEFAULTS = {
  maxSwitches: 3,
  headersTimeoutSeconds: 600,
  forbiddenStrikes: 3,
  cooldownSeconds: {
    forbidden: 600,
    rateLimited: 60,
    overloaded: 30,
    serverError: 30,
    unreachable: 30,
  },
  passthroughStatuses: [403, 429, 529],
  standardStatuses: [401, 402, 403, 429, 500, 502, 503, 504, 529],
};

Deno.test("every optional field gets the default from the issue", () => {
  const config = validateConfig(minimal(), NO_ENV);
  assert.deepEqual(config.failover, ISSUE_DEFAULTS);
  assert.equal(config.maxRequestBytes, 33554432);
  assert.equal(config.accounts[0].passthrough, false);
  assert.deepEqual(config.groups, [{ id: "team", accounts: ["oa-1"] }]);
  assert.deepEqual(config.keys, [{ id: "alice", key: "sk-alice-0001", group: "team" }]);
});

Deno.test("a partial failover object keeps the other defaults, field by field", async (t) => {
  const rows: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ["empty", {}, {}],
    ["maxSwitches", { maxSwitches: 1 }, { maxSwitches: 1 }],
    ["headersTimeoutSeconds", { headersTimeoutSeconds: 2.5 }, { headersTimeoutSeconds: 2.5 }],
    ["forbiddenStrikes", { forbiddenStrikes: 5 }, { forbiddenStrikes: 5 }],
    ["probeSeconds", { probeSeconds: 60 }, { probeSeconds: 60 }],
    ["probeSeconds 0 (probes off)", { probeSeconds: 0 }, { probeSeconds: 0 }],
    ["passthroughStatuses", { passthroughStatuses: [403] }, { passthroughStatuses: [403] }],
    ["standardStatuses", { standardStatuses: [500, 529] }, { standardStatuses: [500, 529] }],
    [
      "one cooldown",
      { cooldownSeconds: { forbidden: 5 } },
      { cooldownSeconds: { ...ISSUE_DEFAULTS.cooldownSeconds, forbidden: 5 } },
    ],
    [
      "two fields and a cooldown",
      { maxSwitches: 0, cooldownSeconds: { unreachable: 1, rateLimited: 0 } },
      {
        maxSwitches: 0,
        cooldownSeconds: { ...ISSUE_DEFAULTS.cooldownSeconds, unreachable: 1, rateLimited: 0 },
      },
    ],
  ];
  for (const [name, failover, changed] of rows) {
    await t.step(name, () => {
      const config = validateConfig({ ...minimal(), failover }, NO_ENV);
      assert.deepEqual(config.failover, { ...ISSUE_DEFAULTS, ...changed });
    });
  }
  await t.step("maxRequestBytes", () => {
    const config = validateConfig({ ...minimal(), maxRequestBytes: 1024 }, NO_ENV);
    assert.equal(config.maxRequestBytes, 1024);
    assert.deepEqual(config.failover, ISSUE_DEFAULTS);
  });
});

Deno.test("account fields are read, with passthrough and a trailing slash handled", () => {
  const document = minimal();
  document.accounts = [
    {
      id: "codex-1",
      platform: "openai",
      passthrough: true,
      baseUrl: "https://chatgpt.com/backend-api/codex/",
      apiKey: "tok",
      priority: 1,
    },
    { id: "claude-1", platform: "anthropic", baseUrl: "https://api.anthropic.com/v1", apiKey: "k" },
  ];
  document.groups = [{ id: "team", accounts: ["codex-1", "claude-1"] }];
  const [codex, claude] = validateConfig(document, NO_ENV).accounts;
  assert.deepEqual(codex, {
    id: "codex-1",
    platform: "openai",
    passthrough: true,
    baseUrl: "https://chatgpt.com/backend-api/codex",
    apiKey: "tok",
    priority: 1,
  });
  assert.equal(claude.platform, "anthropic");
  assert.equal(claude.passthrough, false);
  assert.ok(codex.priority < claude.priority, "an account without priority goes after priority 1");
});

Deno.test("${VAR} is expanded in any string", () => {
  const document = minimal();
  document.accounts = [{
    id: "oa-1",
    platform: "openai",
    baseUrl: "http://${UP_HOST}:${UP_PORT}/v1",
    apiKey: "${OPENAI_KEY}",
  }];
  document.keys = [{ id: "alice", key: "pre-${ALICE_KEY}-post", group: "team" }];
  const config = validateConfig(
    document,
    envOf({
      UP_HOST: "127.0.0.1",
      UP_PORT: "9999",
      OPENAI_KEY: "sk-from-env",
      ALICE_KEY: "secret",
    }),
  );
  assert.equal(config.accounts[0].baseUrl, "http://127.0.0.1:9999/v1");
  assert.equal(config.accounts[0].apiKey, "sk-from-env");
  assert.equal(config.keys[0].key, "pre-secret-post");
});

Deno.test("invalid configs name the field and the problem", async (t) => {
  const rows: [string, (document: Record<string, unknown>) => void, string, RegExp, Env?][] = [
    [
      "an unset ${VAR}",
      (d) => (d.accounts as Record<string, unknown>[])[0].apiKey = "${MISSING_TOKEN}",
      "accounts[0].apiKey",
      /MISSING_TOKEN.*not set/,
    ],
    [
      "an API key with a line break inside (it travels in a header)",
      (d) => (d.accounts as Record<string, unknown>[])[0].apiKey = "sk-up\nsk-other",
      "accounts[0].apiKey",
      /visible ASCII/,
    ],
    [
      "an unset ${VAR} in a key",
      (d) => (d.keys as Record<string, unknown>[])[0].key = "${ALICE_KEY}",
      "keys[0].key",
      /ALICE_KEY/,
    ],
    [
      "a group naming an unknown account",
      (d) => d.groups = [{ id: "team", accounts: ["oa-1", "ghost"] }],
      "groups[0].accounts[1]",
      /unknown account "ghost"/,
    ],
    [
      "a key naming an unknown group",
      (d) => d.keys = [{ id: "alice", key: "sk-alice-0001", group: "nobody" }],
      "keys[0].group",
      /unknown group "nobody"/,
    ],
    [
      "an accounts field that is not a list",
      (d) => d.accounts = { id: "oa-1" },
      "accounts",
      /array/,
    ],
    [
      "a key shorter than 8 characters",
      (d) => (d.keys as Record<string, unknown>[])[0].key = "short",
      "keys[0].key",
      /at least 8 characters/,
    ],
    [
      "a CORS origin with a path",
      (d) => d.cors = { origins: ["https://app.example.com/"] },
      "cors.origins[0]",
      /exactly an origin.*"https:\/\/app\.example\.com"/,
    ],
    [
      "a CORS origin that is no URL",
      (d) => d.cors = { origins: ["app.example.com"] },
      "cors.origins[0]",
      /an origin such as/,
    ],
    [
      "an unknown platform",
      (d) => (d.accounts as Record<string, unknown>[])[0].platform = "gemini",
      "accounts[0].platform",
      /openai/,
    ],
    [
      "a relative baseUrl",
      (d) => (d.accounts as Record<string, unknown>[])[0].baseUrl = "api.openai.com/v1",
      "accounts[0].baseUrl",
      /URL/,
    ],
    [
      "a misspelt failover field",
      (d) => d.failover = { maxSwitchs: 2 },
      "failover.maxSwitchs",
      /unknown field/,
    ],
    [
      "a negative cooldown",
      (d) => d.failover = { cooldownSeconds: { forbidden: -1 } },
      "failover.cooldownSeconds.forbidden",
      /number/,
    ],
    [
      "a probe wait over a day",
      (d) => d.failover = { probeSeconds: 86_401 },
      "failover.probeSeconds",
      /86400/,
    ],
    [
      "a non-error status in a status list",
      (d) => d.failover = { passthroughStatuses: [403, 200] },
      "failover.passthroughStatuses[1]",
      /400-599/,
    ],
    [
      "a duplicate account id",
      (d) => d.accounts = [...(d.accounts as unknown[]), ...(d.accounts as unknown[])],
      "accounts[1].id",
      /duplicate/,
    ],
  ];
  for (const [name, mutate, field, problem] of rows) {
    await t.step(name, () => {
      const document = minimal();
      mutate(document);
      const error = configError(document);
      assert.equal(error.field, field);
      assert.ok(error.message.startsWith(`${field}: `), error.message);
      assert.match(error.message, problem);
    });
  }
});

Deno.test("loadConfig reads files and SWITCHYARD_CONFIG_JSON and names the source", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-config-" });
  try {
    const good = `${dir}/switchyard.json`;
    await Deno.writeTextFile(good, JSON.stringify(minimal()));

    await t.step("a file", async () => {
      const config = await loadConfig(envOf({ SWITCHYARD_CONFIG: good }));
      assert.equal(config.accounts[0].id, "oa-1");
    });

    await t.step("SWITCHYARD_CONFIG_JSON wins over the file", async () => {
      const document = minimal();
      (document.accounts as Record<string, unknown>[])[0].id = "from-env";
      document.groups = [{ id: "team", accounts: ["from-env"] }];
      const config = await loadConfig(
        envOf({ SWITCHYARD_CONFIG: good, SWITCHYARD_CONFIG_JSON: JSON.stringify(document) }),
      );
      assert.equal(config.accounts[0].id, "from-env");
    });

    await t.step("a missing file", async () => {
      const missing = `${dir}/nope.json`;
      const error = await loadConfig(envOf({ SWITCHYARD_CONFIG: missing })).catch((e) => e);
      assert.ok(error instanceof ConfigLoadError);
      assert.ok(error.message.startsWith(`invalid config (${missing}): file not found`));
      assert.ok(!error.message.includes("\n"), "one line");
    });

    await t.step("malformed JSON in a file", async () => {
      const broken = `${dir}/broken.json`;
      await Deno.writeTextFile(broken, '{"accounts": [');
      const error = await loadConfig(envOf({ SWITCHYARD_CONFIG: broken })).catch((e) => e);
      assert.ok(error instanceof ConfigLoadError);
      assert.ok(error.message.startsWith(`invalid config (${broken}): not valid JSON`));
      assert.ok(!error.message.includes("\n"), "one line");
    });

    await t.step("malformed JSON in SWITCHYARD_CONFIG_JSON", async () => {
      const error = await loadConfig(envOf({ SWITCHYARD_CONFIG_JSON: "{nope" })).catch((e) => e);
      assert.ok(error instanceof ConfigLoadError);
      assert.match(error.message, /^invalid config \(SWITCHYARD_CONFIG_JSON\): not valid JSON/);
    });

    await t.step("a validation error names source and field", async () => {
      const document = minimal();
      document.groups = [{ id: "team", accounts: ["ghost"] }];
      const error = await loadConfig(
        envOf({ SWITCHYARD_CONFIG_JSON: JSON.stringify(document) }),
      ).catch((e) => e);
      assert.ok(error instanceof ConfigLoadError);
      assert.equal(
        error.message,
        'invalid config (SWITCHYARD_CONFIG_JSON): groups[0].accounts[0]: unknown account "ghost"',
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("switchyard.example.json starts with OPENAI_API_KEY and nothing else", async () => {
  const text = await Deno.readTextFile(new URL("../switchyard.example.json", import.meta.url));
  const config = validateConfig(JSON.parse(text), envOf({ OPENAI_API_KEY: "sk-example" }));
  assert.equal(config.accounts[0].apiKey, "sk-example");
  assert.match(configError(JSON.parse(text)).message, /OPENAI_API_KEY is not set/);
});

Deno.test("accounts, groups and keys may be left out; cors origins are kept", () => {
  const config = validateConfig({ cors: { origins: ["https://app.example.com", "*"] } }, NO_ENV);
  assert.deepEqual([config.accounts, config.groups, config.keys], [[], [], []]);
  assert.deepEqual(config.cors, { origins: ["https://app.example.com", "*"] });
  assert.equal(validateConfig({}, NO_ENV).cors, undefined, "no CORS unless configured");
});

Deno.test("a config file named on purpose must exist (the empty start is for the default only)", async () => {
  // The empty start itself runs in a real process in an empty directory: tests/first_run_test.ts.
  const dir = await Deno.makeTempDir({ prefix: "switchyard-empty-" });
  try {
    const error = await loadConfigOrEmpty(envOf({ SWITCHYARD_CONFIG: `${dir}/nope.json` }))
      .catch((e) => e);
    assert.ok(error instanceof ConfigLoadError);
    assert.match(error.message, /file not found \(unset SWITCHYARD_CONFIG/);
    await Deno.writeTextFile(`${dir}/switchyard.json`, JSON.stringify(minimal()));
    const found = await loadConfigOrEmpty(envOf({ SWITCHYARD_CONFIG: `${dir}/switchyard.json` }));
    assert.equal(found.empty, false);
    assert.equal(found.config.accounts[0].id, "oa-1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts refuses a broken config with exit 1 and one clear line", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-main-" });
  try {
    await t.step("a group naming an unknown account in a file", async () => {
      const path = `${dir}/switchyard.json`;
      const document = minimal();
      document.groups = [{ id: "team", accounts: ["oa-1", "ghost"] }];
      await Deno.writeTextFile(path, JSON.stringify(document, null, 2));
      const result = await runMain({
        SWITCHYARD_CONFIG: path,
        SWITCHYARD_KV: `${dir}/state.kv`,
        PORT: "0",
      });
      assertOneLineExit(result, path, "groups[0].accounts[1]", "ghost");
    });

    await t.step("an unset ${VAR} in SWITCHYARD_CONFIG_JSON", async () => {
      const document = minimal();
      (document.accounts as Record<string, unknown>[])[0].apiKey = "${CODEX1_TOKEN}";
      const result = await runMain({
        SWITCHYARD_CONFIG_JSON: JSON.stringify(document),
        SWITCHYARD_KV: `${dir}/state.kv`,
        PORT: "0",
      });
      assertOneLineExit(result, "SWITCHYARD_CONFIG_JSON", "accounts[0].apiKey", "CODEX1_TOKEN");
    });

    await t.step("a missing file", async () => {
      const path = `${dir}/absent.json`;
      const result = await runMain({
        SWITCHYARD_CONFIG: path,
        SWITCHYARD_KV: `${dir}/state.kv`,
        PORT: "0",
      });
      assertOneLineExit(result, path, "not found");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
