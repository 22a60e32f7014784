/**
 * `deno task admin` for issue 18's settings, against a real gateway: an
 * account's egress proxy (a real tinyproxy with a password on loopback; the
 * password is never printed) and `--avoid-above`, a group's `--order`, and
 * the alerts (`alerts set` from stdin, `alerts list`, `alerts test` reaching
 * a receiver that checks the signature), in process and as a real process;
 * `accounts test --all`, one line per account and exit 1 when one fails.
 */

import assert from "node:assert/strict";
import { type AdminIo, runAdmin } from "../scripts/admin.ts";
import { ADMIN_TOKEN, readJson, SECRET, startGateway } from "./support/gateway.ts";
import {
  peerRecordingUpstream,
  proxiesMissing,
  PROXY_EGRESS_HOST,
  startTinyproxy,
} from "./support/proxies.ts";
import { chatCompletion, json, openaiError, refusedUrl, upstream } from "./support/upstream.ts";
import { webhookReceiver } from "./support/webhook.ts";

const PROXY_PASSWORD = "cli-proxy-pw-0123";
const HOOK_SECRET = "whsec-cli-0123456789";
const missing = await proxiesMissing();
if (missing) console.warn(`admin_ops_cli_test: proxy step skipped: ${missing}`);

async function admin(
  url: string,
  args: string[],
  extra: { env?: Record<string, string>; input?: string } = {},
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const env: Record<string, string> = {
    SWITCHYARD_URL: url,
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    ...extra.env,
  };
  const io: AdminIo = {
    env: (name) => env[name],
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    input: () => Promise.resolve(extra.input ?? ""),
  };
  return { code: await runAdmin(args, io), out, err };
}

/** `scripts/admin.ts` as a real process, with `stdin` piped in. */
async function adminProcess(
  url: string,
  args: string[],
  env: Record<string, string> = {},
  stdin = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "scripts/admin.ts", ...args],
    env: { SWITCHYARD_URL: url, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const output = await child.output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

Deno.test({
  name: "deno task admin: an account's proxy and --avoid-above, a group's --order",
  ignore: !!missing,
  async fn() {
    await using proxy = await startTinyproxy({ user: "relay", password: PROXY_PASSWORD });
    await using up = peerRecordingUpstream(() => json(200, chatCompletion("hi")));
    await using gateway = await startGateway({ secret: SECRET, config: {} });

    // Added as a real process, the proxy from a variable: the password is never printed.
    const added = await adminProcess(gateway.url, [
      "accounts",
      "add",
      "oa-1",
      "--platform",
      "openai",
      "--base-url",
      `${up.url}/v1`,
      "--api-key-env",
      "UPSTREAM_KEY",
      "--proxy-env",
      "OA_PROXY",
      "--avoid-above",
      "80",
    ], { UPSTREAM_KEY: "sk-up-1", OA_PROXY: proxy.url });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(
      added.stdout.trim(),
      `added account "oa-1" (openai), avoid above 80%, via proxy ` +
        `http://relay:***@127.0.0.1:${proxy.port}; list it in a group to use it`,
    );
    assert.ok(!(added.stdout + added.stderr).includes(PROXY_PASSWORD));

    // Stored: the API shows it masked; a test through the account leaves through the proxy.
    const row = await readJson(await gateway.admin("/admin/accounts/oa-1"));
    assert.equal(row.proxy, `http://relay:***@127.0.0.1:${proxy.port}`);
    assert.equal(row.avoidAbovePercent, 80);
    const tested = await admin(gateway.url, ["accounts", "test", "oa-1"]);
    assert.equal(tested.code, 0, tested.err.join("\n"));
    assert.equal(up.seen.at(-1)?.peer, PROXY_EGRESS_HOST, "the test went through the proxy");
    const listed = await admin(gateway.url, ["accounts", "list", "--json"]);
    assert.ok(!listed.out.join("\n").includes(PROXY_PASSWORD));
    assert.equal(JSON.parse(listed.out.join("\n"))[0].lastTest.ok, true);

    // Updated: another threshold, then both lifted with none; the account goes direct.
    const updated = await admin(gateway.url, ["accounts", "update", "oa-1", "--avoid-above", "95"]);
    assert.deepEqual(updated.out, [
      `updated account "oa-1": priority 100, active, avoid above 95%, via proxy ` +
      `http://relay:***@127.0.0.1:${proxy.port}`,
    ]);
    const lifted = await admin(gateway.url, [
      "accounts",
      "update",
      "oa-1",
      "--avoid-above",
      "none",
      "--proxy",
      "none",
    ]);
    assert.deepEqual(lifted.out, ['updated account "oa-1": priority 100, active']);
    const direct = await readJson(await gateway.admin("/admin/accounts/oa-1"));
    assert.equal(direct.proxy, undefined);
    assert.equal(direct.avoidAbovePercent, undefined);
    assert.equal((await admin(gateway.url, ["accounts", "test", "oa-1"])).code, 0);
    assert.equal(up.seen.at(-1)?.peer, "127.0.0.1", "direct once the proxy is removed");

    // A bad proxy is the API's clear 400, without repeating the value.
    const bad = await admin(gateway.url, ["accounts", "update", "oa-1", "--proxy", "ftp://x:pw@h"]);
    assert.equal(bad.code, 1);
    assert.match(bad.err[0], /400: proxy: must start with http:\/\//);
    assert.ok(!bad.err.join("").includes("pw@h"));
    const unset = await admin(gateway.url, ["accounts", "update", "oa-1", "--proxy-env", "NOPE"]);
    assert.equal(unset.code, 2);
    assert.match(unset.err[0], /--proxy-env: NOPE is not set/);

    // A group's order and threshold, shown by groups list; none goes back to the default.
    const group = await admin(gateway.url, [
      "groups",
      "add",
      "team",
      "--accounts",
      "oa-1",
      "--order",
      "resets-first",
      "--avoid-above",
      "90",
    ]);
    assert.equal(group.code, 0, group.err.join("\n"));
    const groups = await admin(gateway.url, ["groups", "list"]);
    assert.deepEqual(groups.out.map((line) => line.split(/\s+/)), [
      ["ID", "ACCOUNTS", "AVOID", "ABOVE", "ORDER", "ALLOW", "PATHS", "SOURCE"],
      ["team", "oa-1", "90%", "resets-first", "-", "api"],
    ]);
    const stored = await readJson(await gateway.admin("/admin/groups/team"));
    assert.deepEqual([stored.order, stored.avoidAbovePercent], ["resets-first", 90]);
    assert.equal(
      (await admin(gateway.url, ["groups", "update", "team", "--order", "none"])).code,
      0,
    );
    assert.equal((await readJson(await gateway.admin("/admin/groups/team"))).order, undefined);
    const wrong = await admin(gateway.url, ["groups", "update", "team", "--order", "random"]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err[0], /400: order: /);
  },
});

Deno.test("deno task admin: alerts set, list and test; URLs and secrets never printed", async () => {
  await using hook = webhookReceiver(HOOK_SECRET);
  await using gateway = await startGateway({ secret: SECRET, config: {} });
  const settings = JSON.stringify({
    webhooks: [{ id: "ops", url: hook.url, secret: HOOK_SECRET, events: ["account.disabled"] }],
    quotaPercent: 85,
  });

  // Set from stdin by a real process.
  const set = await adminProcess(gateway.url, ["alerts", "set"], {}, settings);
  assert.equal(set.code, 0, set.stderr);
  const origin = new URL(hook.url).origin;
  assert.deepEqual(set.stdout.trim().split("\n").map((line) => line.split(/\s+/)), [
    ["alerts:", "account.quota", "at", "85%", "used"],
    ["WEBHOOK", "URL", "FORMAT", "SIGNED", "EVENTS"],
    ["ops", `${origin}/…`, "json", "yes", "account.disabled"],
  ]);
  for (const secret of [HOOK_SECRET, "T0KEN"]) assert.ok(!set.stdout.includes(secret));

  // Send test: the receiver checks the signature; the delivery is listed.
  const test = await admin(gateway.url, ["alerts", "test"]);
  assert.equal(test.code, 0, test.err.join("\n"));
  assert.match(test.out[1], /^\S+Z\s+ops\s+test\s+delivered \(204\)\s+1$/);
  assert.equal(hook.received.length, 1);
  assert.equal(hook.received[0].event, "test");
  assert.ok(hook.received[0].signed);
  const listed = await admin(gateway.url, ["alerts", "list"]);
  assert.equal(listed.out[3], "last deliveries:");
  assert.match(listed.out[5], /ops\s+test\s+delivered \(204\)/);
  const json = await admin(gateway.url, ["alerts", "list", "--json"]);
  const view = JSON.parse(json.out.join("\n"));
  assert.deepEqual(view.webhooks[0], {
    id: "ops",
    url: `${origin}/…`,
    format: "json",
    hasSecret: true,
    events: ["account.disabled"],
  });
  assert.ok(!json.out.join("").includes(HOOK_SECRET));

  // A webhook given by id alone keeps its URL and secret (write-only); bad input is a clear 400.
  const kept = await admin(gateway.url, ["alerts", "set"], {
    input: JSON.stringify({ webhooks: [{ id: "ops", format: "slack" }] }),
  });
  assert.equal(kept.code, 0, kept.err.join("\n"));
  assert.match(kept.out[2], /^ops\s+\S+\s+slack\s+yes\s+all$/);
  const badEvent = await admin(gateway.url, ["alerts", "set"], {
    input: JSON.stringify({ webhooks: [{ url: hook.url, events: ["account.gone"] }] }),
  });
  assert.equal(badEvent.code, 1);
  assert.match(badEvent.err[0], /400: .*unknown event "account.gone"/);
  const notJson = await admin(gateway.url, ["alerts", "set"], { input: "{" });
  assert.equal(notJson.code, 1);
  assert.match(notJson.err[0], /alerts set reads JSON on stdin/);

  // A receiver that is gone: the test fails, exit 1.
  const gone = await admin(gateway.url, ["alerts", "set"], {
    input: JSON.stringify({ webhooks: [{ id: "gone", url: "http://127.0.0.1:9/hook" }] }),
  });
  assert.equal(gone.code, 0, gone.err.join("\n"));
  const failed = await admin(gateway.url, ["alerts", "test"]);
  assert.equal(failed.code, 1);
  assert.match(failed.out[1], /gone\s+test\s+failed: could not connect/);
  assert.match(failed.err[0], /1 of 1 webhooks failed/);

  // None left: alerts test is the API's 400.
  assert.equal((await admin(gateway.url, ["alerts", "set"], { input: "{}" })).code, 0);
  const none = await admin(gateway.url, ["alerts", "test"]);
  assert.equal(none.code, 1);
  assert.match(none.err[0], /400: no webhooks to test/);
});

Deno.test("deno task admin: accounts test --all tests each account, one line each, exit 1 on a failure", async () => {
  await using good = upstream(() => json(200, chatCompletion("ok")));
  await using bad = upstream(() => json(500, openaiError("upstream broke")));
  await using gateway = await startGateway({
    accounts: [
      { id: "good", upstream: good },
      { id: "bad", upstream: bad },
      { id: "gone", upstream: `${refusedUrl()}/v1` },
    ],
  });

  const all = await admin(gateway.url, ["accounts", "test", "--all", "--model", "gpt-all"]);
  assert.equal(all.code, 1);
  assert.equal(all.out.length, 3, all.out.join("\n"));
  assert.match(all.out[0], /^test account "good": ok \(200, \d+ ms, gpt-all\)$/);
  assert.match(all.out[1], /^test account "bad": FAILED \(500, \d+ ms, gpt-all\): upstream broke$/);
  assert.match(all.out[2], /^test account "gone": FAILED \(no answer, \d+ ms, gpt-all\): /);
  assert.deepEqual(all.err, ["admin: 2 of 3 account tests failed"]);
  // Each account was sent exactly one request, with the model asked for.
  assert.deepEqual([good.hits.length, bad.hits.length], [1, 1]);
  assert.equal(JSON.parse(good.hits[0].body).model, "gpt-all");

  // --json: the API's answers with each account's id.
  const asJson = await admin(gateway.url, ["accounts", "test", "--all", "--json"]);
  const rows = JSON.parse(asJson.out.join("\n")) as Record<string, unknown>[];
  assert.deepEqual(rows.map((row) => [row.id, row.ok, row.status]), [
    ["good", true, 200],
    ["bad", false, 500],
    ["gone", false, undefined],
  ]);

  // All passing: exit 0 (a gateway with the good account alone, as a real process).
  await using onlyGood = await startGateway({ accounts: [{ id: "good", upstream: good }] });
  const passing = await adminProcess(onlyGood.url, ["accounts", "test", "--all"]);
  assert.equal(passing.code, 0, passing.stderr);
  assert.match(passing.stdout, /^test account "good": ok \(200, \d+ ms, gpt-4o-mini\)\n$/);

  const both = await admin(gateway.url, ["accounts", "test", "good", "--all"]);
  assert.equal(both.code, 2);
  assert.match(both.err[0], /give an account id or --all, not both/);
});
