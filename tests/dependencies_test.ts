/**
 * `deno task start` installs only what the gateway runs. Deno installs every
 * npm package in the lock file a program starts with (not just the ones it
 * imports), so the gateway's lock (`deno.lock`, frozen, named in
 * `deno.json`) must hold exactly the packages `main.ts` reaches; the SDKs,
 * playwright-core and autocannon live in `deno.dev.lock`, which tests and
 * benchmarks run with. docs/dependencies.md explains the split.
 */

import assert from "node:assert/strict";
import { ROOT } from "./support/process.ts";

/** Used only by tests and benchmarks; a first start must not download them. */
const TEST_ONLY = ["openai", "@anthropic-ai/sdk", "playwright-core", "autocannon"];

interface Lock {
  specifiers: Record<string, string>;
  npm: Record<string, { dependencies?: string[] }>;
  workspace: { dependencies: string[] };
}

const readJson = async <T>(name: string): Promise<T> =>
  JSON.parse(await Deno.readTextFile(`${ROOT}${name}`)) as T;

/** `name@version` -> `name` (scoped names keep their leading `@`). */
const nameOf = (id: string): string => id.slice(0, id.lastIndexOf("@"));

/** The npm packages `main.ts` reaches, as `deno info` resolves them with the gateway's lock. */
async function gatewayPackages(): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", `${ROOT}deno.json`, `${ROOT}main.ts`],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const info = JSON.parse(new TextDecoder().decode(stdout)) as {
    npmPackages: Record<string, unknown>;
  };
  return Object.keys(info.npmPackages).sort();
}

Deno.test("the gateway's lock holds exactly the npm packages main.ts reaches, none test-only", async () => {
  const lock = await readJson<Lock>("deno.lock");
  const locked = Object.keys(lock.npm).sort();
  assert.deepEqual(locked, await gatewayPackages());
  for (const id of locked) assert.ok(!TEST_ONLY.includes(nameOf(id)), `${id} is test-only`);
  for (const spec of Object.keys(lock.specifiers)) {
    assert.ok(!TEST_ONLY.includes(nameOf(spec.replace(/^npm:/, ""))), `${spec} is test-only`);
  }
});

Deno.test("deno.json maps only the gateway's packages, with a frozen lock", async () => {
  const config = await readJson<{ imports: Record<string, string>; lock: unknown }>("deno.json");
  assert.deepEqual(Object.keys(config.imports).sort(), ["@logtape/logtape", "@opentelemetry/api"]);
  assert.deepEqual(config.lock, { path: "deno.lock", frozen: true });
});

Deno.test("the dev lock pins the gateway's packages alike and every test-only package", async () => {
  const gateway = await readJson<Lock>("deno.lock");
  const dev = await readJson<Lock>("deno.dev.lock");
  assert.deepEqual(dev.workspace.dependencies, gateway.workspace.dependencies);
  for (const [id, entry] of Object.entries(gateway.npm)) assert.deepEqual(dev.npm[id], entry, id);
  const devNames = Object.keys(dev.specifiers).map((spec) => nameOf(spec.replace(/^npm:/, "")));
  for (const name of TEST_ONLY) {
    assert.ok(devNames.includes(name), `${name} missing from deno.dev.lock`);
  }
});
