/**
 * The first run as a new user meets it, with real `main.ts` processes in an
 * empty directory: no config file, no variables. The gateway starts empty on
 * the default KV (`./data/switchyard.kv`), makes an admin token and prints it
 * once with the dashboard URL; later starts print only the URL; the token
 * works on the admin API, and `deno task admin reset-token` (run against the
 * same KV file) replaces it in the running gateway.
 */

import assert from "node:assert/strict";
import { originFor, welcomeLines } from "../lib/welcome.ts";
import { eventually } from "./support/async.ts";
import { runScript, startMainProcess } from "./support/process.ts";

const TOKEN_LINE =
  /admin token \(shown this once; only its hash is kept\): (sya-[A-Za-z0-9_-]{43})\n/;

async function adminStatus(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/admin/accounts`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

Deno.test("a first run with no config starts empty, prints its admin token once, and reset-token replaces it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-first-run-" });
  try {
    let token: string;
    {
      await using first = await startMainProcess({}, dir);
      await eventually(
        // The reset-token hint is the welcome's last line: wait for it, not an earlier one.
        () => Promise.resolve(first.stdout().includes("reset-token")),
        "the welcome lines",
      );
      const printed = first.stdout();
      assert.match(printed, /no \.\/switchyard\.json: starting with no accounts/);
      assert.ok(printed.includes(`dashboard at ${first.url}/dashboard`), printed);
      const match = TOKEN_LINE.exec(printed);
      assert.ok(match, `the token line in:\n${printed}`);
      token = match[1];
      assert.match(printed, /deno task admin reset-token/);

      const health = await fetch(`${first.url}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      assert.equal(await adminStatus(first.url, token), 200);
      assert.equal(await adminStatus(first.url, "sya-wrong"), 401);
      const accounts = await fetch(`${first.url}/admin/accounts`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.deepEqual(await accounts.json(), []);
    }
    // The default KV file and the generated secret, beside each other, owner-only.
    assert.ok((await Deno.stat(`${dir}/data/switchyard.kv`)).isFile);
    const secret = await Deno.stat(`${dir}/data/switchyard.secret`);
    assert.equal(secret.mode! & 0o077, 0, "the secret is readable by its owner only");
    const kvText = await Deno.readFile(`${dir}/data/switchyard.kv`);
    assert.ok(!new TextDecoder().decode(kvText).includes(token), "only the token's hash is stored");

    await using second = await startMainProcess({}, dir);
    await eventually(
      () => Promise.resolve(second.stdout().includes("dashboard at")),
      "the welcome lines",
    );
    assert.doesNotMatch(
      second.stdout(),
      /admin token/,
      "the token is printed on the first start only",
    );
    assert.doesNotMatch(second.stdout(), /encryption secret/);
    assert.equal(await adminStatus(second.url, token), 200, "the first token still works");

    const reset = await runScript("scripts/admin.ts", ["reset-token"], { cwd: dir });
    assert.equal(reset.code, 0, reset.stderr);
    const fresh = /^(sya-[A-Za-z0-9_-]{43})$/m.exec(reset.stdout)?.[1];
    assert.ok(fresh, reset.stdout);
    // The running gateway takes the new token and refuses the old one at once.
    assert.equal(await adminStatus(second.url, fresh), 200);
    assert.equal(await adminStatus(second.url, token), 401);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SWITCHYARD_ADMIN=off turns the admin API and the dashboard's sign-in off", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-admin-off-" });
  try {
    await using gateway = await startMainProcess({ SWITCHYARD_ADMIN: "off" }, dir);
    await eventually(
      () => Promise.resolve(gateway.stdout().includes("admin API and the dashboard are off")),
      "the welcome lines",
    );
    assert.doesNotMatch(gateway.stdout(), /admin token/);
    const admin = await fetch(`${gateway.url}/admin/accounts`);
    assert.equal(admin.status, 404);
    await admin.body?.cancel();
    // The dashboard says so instead of offering a sign-in that cannot work.
    const page = await (await fetch(`${gateway.url}/dashboard`)).text();
    assert.match(page, /<body data-admin="off">/);
    assert.match(page, /The admin API is off/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("welcome lines: a set token is never printed, a wildcard host reads as localhost", () => {
  const lines = welcomeLines({
    origin: originFor("0.0.0.0", 8787),
    admin: "env",
    emptyConfig: false,
  });
  assert.deepEqual(lines, ["switchyard: dashboard at http://localhost:8787/dashboard"]);
  assert.equal(originFor("127.0.0.1", 1), "http://127.0.0.1:1");
  assert.equal(originFor("::1", 2), "http://[::1]:2");
});
