/**
 * Start-up as a new user meets it, with real processes: an address that
 * cannot be listened on or a KV that cannot be opened ends start-up with one
 * line (as config errors do), `HOST` picks the bind address, and
 * `deno task serve` listens where `HOST` and `PORT` say.
 */

import assert from "node:assert/strict";
import { assertOneLineExit, runMain, startMainProcess, startServeTask } from "./support/process.ts";
import { refusedUrl } from "./support/upstream.ts";

/** The smallest valid config, as `SWITCHYARD_CONFIG_JSON`. */
const CONFIG_JSON = JSON.stringify({
  accounts: [{
    id: "oa-1",
    platform: "openai",
    baseUrl: "http://127.0.0.1:9/v1",
    apiKey: "sk-up",
  }],
  groups: [{ id: "team", accounts: ["oa-1"] }],
  keys: [{ id: "alice", key: "sk-alice-0001", group: "team" }],
});

Deno.test("main.ts ends start-up with one line when it cannot listen or open KV", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-startup-" });
  try {
    await t.step("a port in use", async () => {
      using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const result = await runMain({
        SWITCHYARD_CONFIG_JSON: CONFIG_JSON,
        SWITCHYARD_KV: `${dir}/state.kv`,
        HOST: "127.0.0.1",
        PORT: String(taken.addr.port),
      });
      assertOneLineExit(
        result,
        `switchyard: cannot listen on 127.0.0.1:${taken.addr.port}: `,
        /address already in use/i,
      );
    });

    await t.step("SWITCHYARD_KV naming a directory", async () => {
      const result = await runMain({
        SWITCHYARD_CONFIG_JSON: CONFIG_JSON,
        SWITCHYARD_KV: dir,
        PORT: "0",
      });
      assertOneLineExit(result, `switchyard: cannot open SWITCHYARD_KV "${dir}": `);
    });

    await t.step("a KV Connect URL without DENO_KV_ACCESS_TOKEN", async () => {
      const result = await runMain({
        SWITCHYARD_CONFIG_JSON: CONFIG_JSON,
        SWITCHYARD_KV: "http://user:secret@127.0.0.1:9/kv",
        PORT: "0",
      });
      assertOneLineExit(
        result,
        'switchyard: cannot open SWITCHYARD_KV "http://127.0.0.1:9/kv": ',
        "DENO_KV_ACCESS_TOKEN",
      );
      assert.doesNotMatch(result.stderr, /secret/, "no password from the URL");
    });

    for (const bad of ["99", "60001", "2s", "1.5"]) {
      await t.step(`SWITCHYARD_KV_DEADLINE_MS=${bad}`, async () => {
        const result = await runMain({
          SWITCHYARD_CONFIG_JSON: CONFIG_JSON,
          SWITCHYARD_KV: ":memory:",
          SWITCHYARD_KV_DEADLINE_MS: bad,
          PORT: "0",
        });
        assertOneLineExit(
          result,
          `switchyard: SWITCHYARD_KV_DEADLINE_MS must be a whole number from 100 to 60000, got "${bad}"`,
        );
      });
    }

    await t.step("a PORT that is not a port", async () => {
      const result = await runMain({ SWITCHYARD_CONFIG_JSON: CONFIG_JSON, PORT: "80a" });
      assertOneLineExit(
        result,
        'switchyard: PORT must be a whole number from 0 to 65535, got "80a"',
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HOST sets the address main.ts binds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-host-" });
  try {
    await using gateway = await startMainProcess({
      SWITCHYARD_CONFIG_JSON: CONFIG_JSON,
      SWITCHYARD_KV: `${dir}/state.kv`,
      HOST: "127.0.0.1",
    });
    assert.match(gateway.listening, /^127\.0\.0\.1:\d+$/);
    const health = await fetch(`${gateway.url}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task serve listens on HOST:PORT", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-serve-" });
  try {
    const port = new URL(refusedUrl()).port;
    await using served = await startServeTask({
      SWITCHYARD_CONFIG_JSON: CONFIG_JSON,
      SWITCHYARD_KV: `${dir}/state.kv`,
      HOST: "127.0.0.1",
      PORT: port,
    });
    assert.equal(served.listening, `127.0.0.1:${port}`);
    const health = await fetch(`${served.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
