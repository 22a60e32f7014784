/**
 * The gateway under Deno Deploy's rules: `main.ts` with `--deny-write
 * --deny-run --deny-ffi`, its config from `SWITCHYARD_CONFIG_JSON`, its KV a
 * KV Connect URL (the test server), the admin token and secret from the
 * environment. A failover, a stream, the console page and an admin call are
 * served, and nothing tries to write a file or spawn a process (a denied try
 * throws NotCapable, which would show in its output or fail a request).
 */

import assert from "node:assert/strict";
import { ADMIN_TOKEN, chatRequest, CLIENT_KEY, configDocument } from "./support/gateway.ts";
import { assertOneLineExit, ROOT, runMain, startListening } from "./support/process.ts";
import { sharedKv } from "./support/shared_kv.ts";
import { chatStream, sseResponse } from "./support/streams.ts";
import { chatCompletion, json, openaiError, upstream } from "./support/upstream.ts";

const DEPLOY_ARGS = [
  "run",
  "--config",
  `${ROOT}deno.json`,
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--deny-write",
  "--deny-run",
  "--deny-ffi",
  "--no-prompt",
  `${ROOT}main.ts`,
];

Deno.test("under Deploy's rules on a remote KV: failover, stream, console and admin, no file write or spawn", async () => {
  await using down = upstream(() => json(500, openaiError("down")));
  await using up = upstream((_request, hit) =>
    JSON.parse(hit.body).stream
      ? sseResponse(chatStream(["hi", "there"], false))
      : json(200, chatCompletion("up"))
  );
  await using kv = await sharedKv("remote");
  const env = {
    ...kv.env,
    HOST: "127.0.0.1",
    PORT: "0",
    SWITCHYARD_LOG: "info", // request logs go to stdout: no log file
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    SWITCHYARD_CONFIG_JSON: JSON.stringify(configDocument({
      accounts: [
        { id: "down", upstream: down, priority: 1 },
        { id: "up", upstream: up, priority: 2 },
      ],
    })),
  };
  await using gateway = await startListening(
    DEPLOY_ARGS,
    env,
    /switchyard: listening on http:\/\/([^\s/]+):(\d+)/,
    kv.dir,
  );
  const chat = (body: unknown) =>
    fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  const failedOver = await chat(chatRequest());
  assert.equal(failedOver.status, 200);
  assert.equal(failedOver.headers.get("x-switchyard-account"), "up");
  await failedOver.text();
  assert.equal(down.hits.length, 1);

  const stream = await chat(chatRequest("hi", { stream: true }));
  assert.equal(stream.status, 200);
  const text = await stream.text();
  assert.ok(text.includes('"content":"there"') && text.trimEnd().endsWith("data: [DONE]"), text);

  const page = await fetch(`${gateway.url}/dashboard`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);

  const accounts = await fetch(`${gateway.url}/admin/accounts`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(accounts.status, 200);
  const rows: { id: string; state: string }[] = await accounts.json();
  assert.deepEqual(rows.map((row) => row.id).sort(), ["down", "up"]);

  await gateway.stop();
  const output = `${gateway.stdout()}\n${gateway.stderr()}`;
  assert.doesNotMatch(
    output,
    /NotCapable|PermissionDenied|Requires (write|run|ffi) access/,
    output,
  );
  // Nothing was written where the process ran (no data dir, no secret file).
  const written = [];
  for await (const entry of Deno.readDir(kv.dir)) written.push(entry.name);
  assert.deepEqual(written.filter((name) => !name.startsWith("server.kv")), []);
});

Deno.test("a remote KV without SWITCHYARD_SECRET stops start-up with one line", async () => {
  await using kv = await sharedKv("remote");
  const { SWITCHYARD_SECRET: _secret, ...env } = kv.env;
  const result = await runMain({ ...env, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN });
  assertOneLineExit(result, "SWITCHYARD_SECRET");
});
