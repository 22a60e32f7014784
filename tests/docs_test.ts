// The documentation stays true to the repository: every relative link in README.md and docs/
// resolves (file and #anchor), the README stays a front page, and docs/configuration.md's field
// reference is the validator's own list of fields, with its defaults and bounds.
import assert from "node:assert/strict";
import { anchors, brokenLinks, pages, slug, tableAfter } from "./support/markdown.ts";
import { Fields } from "../lib/config/fields.ts";
import { ConfigError } from "../lib/config/errors.ts";
import { validateConfig } from "../lib/config/validate.ts";
import {
  DEFAULT_FAILOVER,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_PRIORITY,
  DEFAULT_PROBE_SECONDS,
  DEFAULT_WEBSOCKET,
} from "../lib/config/defaults.ts";
import { DEFAULT_QUOTA_PERCENT } from "../lib/config/alerts.ts";
import { DEFAULT_BODY_IDLE_MS } from "../lib/http/body.ts";
import { DEFAULT_QUEUE_TIMEOUT_SECONDS } from "../lib/leases/queue.ts";
import { DEFAULT_PREAMBLE_HOLD_MS } from "../lib/failover/preamble.ts";

const ROOT = new URL("../", import.meta.url);
/** Written by other helpers on their own branches (issue 21): missing here until they are merged. */
const FROM_OTHER_BRANCHES = [
  "docs/several-hosts.md",
  "docs/deno-deploy.md",
  "docs/kv-outages.md",
  "docs/benchmarks.md",
  "docs/soak.md",
  "docs/dependencies.md",
];
const README_MAX_LINES = 300;

const readText = (path: string) => Deno.readTextFile(new URL(path, ROOT));
const exists = async (path: string) => {
  try {
    await Deno.stat(new URL(path, ROOT));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
};

Deno.test("GitHub's heading anchors", () => {
  const cases: [string, string][] = [
    ["Browsers (CORS)", "browsers-cors"],
    ["Codex CLI: Responses over WebSocket", "codex-cli-responses-over-websocket"],
    [
      "Requests no account can serve, `count_tokens` and `/v1/models`",
      "requests-no-account-can-serve-count_tokens-and-v1models",
    ],
    ["Prices, cost and budgets", "prices-cost-and-budgets"],
    ["One worker per core: `deno serve --parallel`", "one-worker-per-core-deno-serve---parallel"],
    ["**Bold** and [a link](x.md)", "bold-and-a-link"],
  ];
  for (const [heading, expected] of cases) assert.equal(slug(heading), expected, heading);
  assert.deepEqual([...anchors("# A\n## A\n```\n# not a heading\n```\n### A\n")], [
    "a",
    "a-1",
    "a-2",
  ]);
});

Deno.test("the link check finds a missing file and a missing anchor, not links in code", async () => {
  const fake: Record<string, string> = {
    "README.md": "[ok](docs/x.md#there) [gone](docs/nope.md) `[code](nope.md)`\n" +
      "[bad](docs/x.md#nowhere) [self](#top)\n# Top\n```\n[fenced](nope2.md)\n```\n",
  };
  const read = (path: string) => Promise.resolve(fake[path] ?? "## There\n");
  const present = (path: string) => Promise.resolve(path === "README.md" || path === "docs/x.md");
  const result = await brokenLinks(["README.md"], read, present);
  assert.deepEqual([...result.missingFiles], [["docs/nope.md", ["README.md:1"]]]);
  assert.deepEqual(result.missingAnchors, [
    'README.md:2: docs/x.md#nowhere (no heading "#nowhere" in docs/x.md)',
  ]);
});

Deno.test("every relative link and anchor in README.md and docs/ resolves", async () => {
  const { missingFiles, missingAnchors } = await brokenLinks(await pages(ROOT), readText, exists);
  const problems = [
    ...[...missingFiles].map(([file, from]) =>
      `missing file ${file} (linked from ${from.join(", ")})`
    ),
    ...missingAnchors.map((line) => `missing anchor: ${line}`),
  ];
  const pending = [...missingFiles.keys()].filter((file) => FROM_OTHER_BRANCHES.includes(file));
  const note = pending.length === 0 ? "" : `\n(${pending.join(", ")}: written on other branches; ` +
    "they resolve once those are merged)";
  assert.deepEqual(
    problems,
    [],
    `${problems.length} broken link(s); missing files: ${
      [...missingFiles.keys()].join(", ") || "none"
    }${note}\n${problems.join("\n")}`,
  );
});

Deno.test(`README.md is a front page of at most ${README_MAX_LINES} lines`, async () => {
  const lines = (await readText("README.md")).trimEnd().split("\n").length;
  assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines`);
});

/** A config with every nested object the validator reads, so every `onlyKnown` list is met. */
function fullConfig(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(sharedFullConfig())); // no object shared between two places
}

function sharedFullConfig(): Record<string, unknown> {
  const checks = { everySeconds: 60, model: "m", recover: true };
  const budgets = [{ usd: 1, per: "day", alertAt: 0.5 }];
  return {
    failover: { cooldownSeconds: { forbidden: 1 } },
    accounts: [
      {
        id: "a",
        platform: "openai",
        apiKey: "k",
        baseUrl: "https://up.example/v1",
        healthChecks: checks,
      },
      { id: "b", platform: "anthropic", oauth: { accessToken: "t", refreshToken: "r" } },
    ],
    groups: [{ id: "g", accounts: ["a", "b"], healthChecks: checks, budgets }],
    keys: [{ id: "k", key: "12345678", group: "g", budgets }],
    errorRules: [{ status: [500], action: "failover" }],
    cors: { origins: [] },
    websocket: {},
    alerts: { webhooks: [{ url: "https://hook.example/h" }] },
    pricing: { m: { input: 1, output: 1 } },
  };
}

/** `accounts[1].oauth` -> `accounts[].oauth`; a pricing map's model -> `<model>`. */
function generic(path: string): string {
  return path.replace(/\[\d+\]/g, "[]").replace(/^pricing\.[^.]+/, "pricing.<model>");
}

/** Every field the validator accepts, recorded from its `onlyKnown` calls. */
function acceptedFields(): Set<string> {
  const accepted = new Set<string>();
  const original = Fields.prototype.onlyKnown;
  Fields.prototype.onlyKnown = function (names: readonly string[]) {
    for (const name of names) accepted.add(generic(this.at(name)));
    return original.call(this, names);
  };
  try {
    validateConfig(fullConfig(), () => undefined);
  } finally {
    Fields.prototype.onlyKnown = original;
  }
  return accepted;
}

async function fieldRows(): Promise<Map<string, { fallback: string; bound: string }>> {
  const rows = tableAfter(await readText("docs/configuration.md"), "Field reference");
  const out = new Map<string, { fallback: string; bound: string }>();
  for (const [field, fallback, bound] of rows) {
    const name = /^`([^`]+)`$/.exec(field)?.[1];
    assert.ok(name, `docs/configuration.md field reference: "${field}" is not one \`field\``);
    assert.ok(!out.has(name), `docs/configuration.md documents ${name} twice`);
    out.set(name, { fallback, bound });
  }
  return out;
}

Deno.test("docs/configuration.md documents every field the validator accepts, and no other", async () => {
  const documented = new Set((await fieldRows()).keys());
  const accepted = acceptedFields();
  assert.ok(accepted.size > 50, `recorded only ${accepted.size} fields`);
  const undocumented = [...accepted].filter((field) => !documented.has(field));
  const unknown = [...documented].filter((field) => !accepted.has(field));
  assert.deepEqual(undocumented, [], `accepted but not in the field reference: ${undocumented}`);
  assert.deepEqual(unknown, [], `in the field reference but refused by the validator: ${unknown}`);
});

Deno.test("docs/configuration.md's defaults are the code's", async () => {
  const rows = await fieldRows();
  const failover = DEFAULT_FAILOVER;
  const expected: Record<string, unknown> = {
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    queueTimeoutSeconds: DEFAULT_QUEUE_TIMEOUT_SECONDS,
    bodyTimeoutSeconds: DEFAULT_BODY_IDLE_MS / 1000,
    "failover.maxSwitches": failover.maxSwitches,
    "failover.headersTimeoutSeconds": failover.headersTimeoutSeconds,
    "failover.forbiddenStrikes": failover.forbiddenStrikes,
    "failover.passthroughStatuses": failover.passthroughStatuses,
    "failover.standardStatuses": failover.standardStatuses,
    "failover.preambleHoldSeconds": DEFAULT_PREAMBLE_HOLD_MS / 1000,
    "failover.probeSeconds": DEFAULT_PROBE_SECONDS,
    "accounts[].priority": DEFAULT_PRIORITY,
    "websocket.maxConnectionSeconds": DEFAULT_WEBSOCKET.maxConnectionSeconds,
    "websocket.idleSeconds": DEFAULT_WEBSOCKET.idleSeconds,
    "websocket.pingSeconds": DEFAULT_WEBSOCKET.pingSeconds,
    "alerts.quotaPercent": DEFAULT_QUOTA_PERCENT,
  };
  for (const [reason, seconds] of Object.entries(failover.cooldownSeconds)) {
    expected[`failover.cooldownSeconds.${reason}`] = seconds;
  }
  // What validation fills in by itself, read from a config that leaves them out.
  const account = { id: "a", platform: "openai", apiKey: "k", baseUrl: "https://up.example/v1" };
  const filled = validateConfig({ accounts: [account] }, () => "");
  expected["accounts[].passthrough"] = filled.accounts[0].passthrough;
  for (const [field, value] of Object.entries(expected)) {
    const cell = rows.get(field)?.fallback;
    assert.equal(cell, `\`${JSON.stringify(value).replaceAll(",", ", ")}\``, `default of ${field}`);
  }
});

/** Sets `field` (a documented path) in `config` on the first entry of each list. */
function setField(config: Record<string, unknown>, field: string, value: unknown): string {
  const parts = field.replace("<model>", "m").split(".").flatMap((part) =>
    part.endsWith("[]") ? [part.slice(0, -2), "0"] : [part]
  );
  let node = config as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
  return field.replaceAll("[]", "[0]").replace("<model>", "m");
}

Deno.test("docs/configuration.md's numeric bounds are the validator's", async () => {
  let checked = 0;
  for (const [field, { bound }] of await fieldRows()) {
    const range = /^`(-?[\d.e]+)` (?:to `(-?[\d.e]+)`|or more)(, whole)?/.exec(bound);
    if (!range) continue;
    const min = Number(range[1]);
    const max = range[2] === undefined ? undefined : Number(range[2]);
    const step = (edge: number) => range[3] ? 1 : Math.max(Math.abs(edge) / 2, 0.001);
    const attempt = (value: number): ConfigError | undefined => {
      const config = fullConfig();
      const path = setField(config, field, value);
      try {
        validateConfig(config, () => "");
        return undefined;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        assert.equal(error.field, path, `${field} = ${value}: ${error.message}`);
        return error;
      }
    };
    assert.equal(attempt(min), undefined, `${field} = ${min} (the documented minimum)`);
    assert.ok(attempt(min - step(min)), `${field} = ${min - step(min)} (below ${min})`);
    if (max !== undefined) {
      assert.equal(attempt(max), undefined, `${field} = ${max} (the documented maximum)`);
      assert.ok(attempt(max + step(max)), `${field} = ${max + step(max)} (above ${max})`);
    }
    if (range[3]) assert.ok(attempt(min + 0.5), `${field} = ${min + 0.5} (not whole)`);
    checked++;
  }
  assert.ok(checked >= 30, `only ${checked} bounds were checked`);
});

Deno.test("docs/configuration.md's Environment table lists every SWITCHYARD_ variable lib/ reads", async () => {
  const read = new Set<string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        for (const match of (await readText(path)).matchAll(/"(SWITCHYARD_[A-Z_]+)"/g)) {
          read.add(match[1]);
        }
      }
    }
  };
  await walk("lib");
  const table = tableAfter(await readText("docs/configuration.md"), "Environment");
  const documented = new Set(table.map(([name]) => name.replaceAll("`", "")));
  assert.ok(read.size >= 5, `found only ${read.size} variables in lib/`);
  const missing = [...read].filter((name) => !documented.has(name));
  const stale = [...documented].filter((name) => name.startsWith("SWITCHYARD_") && !read.has(name));
  assert.deepEqual(missing, [], `read in lib/ but not in the Environment table: ${missing}`);
  assert.deepEqual(stale, [], `in the Environment table but read nowhere in lib/: ${stale}`);
});
