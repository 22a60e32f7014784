/**
 * The smaller security fixes of issue 15, item 12, over real sockets: the
 * dashboard's CSP (its one inline script by hash, `base-uri`, `form-action`,
 * `frame-ancestors`) and `nosniff` on every answer; failed admin sign-ins
 * logged without the token and slowed per address; a short
 * `SWITCHYARD_ADMIN_TOKEN` refused at start-up; the KV folder and files
 * owner-only; an OAuth finish without `state` refused; the warning for an
 * admin API on a non-loopback address, and `SWITCHYARD_ADMIN=loopback`.
 * `/metrics`, which also takes the admin token, is held to the same throttle,
 * failure log and loopback rule.
 */

import assert from "node:assert/strict";
import { hash } from "node:crypto";
import { chatRequest, readJson, SECRET, startGateway } from "./support/gateway.ts";
import { eventually } from "./support/async.ts";
import { assertOneLineExit, runMain, startMainProcess } from "./support/process.ts";
import { refusedUrl, upstream } from "./support/upstream.ts";

const LONG_TOKEN = "a-long-admin-token-for-the-security-tests-0123";

Deno.test("the dashboard's CSP allows its one inline script by hash, and nothing inline else", async () => {
  await using h = await startGateway({ accounts: [] });
  const response = await fetch(`${h.url}/dashboard`);
  const html = await response.text();
  const csp = response.headers.get("content-security-policy") ?? "";
  const directives = new Map(
    csp.split(";").map((part) => part.trim().split(/\s+/)).map(([name, ...v]) => [name, v]),
  );
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
  const digest = hash("sha256", script, "base64");
  assert.deepEqual(directives.get("script-src"), [`'sha256-${digest}'`], csp);
  assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  assert.deepEqual(directives.get("base-uri"), ["'none'"]);
  assert.deepEqual(directives.get("form-action"), ["'none'"]);
  assert.deepEqual(directives.get("frame-ancestors"), ["'none'"]);
  assert.equal((html.match(/<script/g) ?? []).length, 1, "one script element");
  assert.doesNotMatch(html, /\son[a-z]+=/i, "no inline event handlers");
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
});

Deno.test("every answer carries x-content-type-options: nosniff, API answers included", async () => {
  await using mock = upstream(() =>
    Response.json({ id: "c", object: "chat.completion", choices: [] })
  );
  await using h = await startGateway({ accounts: [{ id: "a", upstream: mock }] });
  const answers = [
    await h.api("/v1/chat/completions", { json: chatRequest() }),
    await h.api("/v1/chat/completions", { json: chatRequest(), key: "sk-wrong" }),
    await h.api("/v1/models"),
    await fetch(`${h.url}/healthz`),
    await fetch(`${h.url}/nowhere`),
    await h.admin("/admin/accounts"),
    await h.admin("/admin/accounts", { token: "wrong" }),
    await h.admin("/admin/events"),
  ];
  for (const answer of answers) await answer.body?.cancel();
  assert.equal(answers[0].status, 200);
  for (const answer of answers) {
    assert.equal(answer.headers.get("x-content-type-options"), "nosniff", answer.url);
  }
});

Deno.test("failed admin sign-ins are logged without the token and slowed per address", async () => {
  await using gateway = await startMainProcess({
    SWITCHYARD_ADMIN_TOKEN: LONG_TOKEN,
    SWITCHYARD_LOG: "info",
  });
  const status = async (token: string) => {
    const response = await fetch(`${gateway.url}/admin/accounts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.body?.cancel();
    return { status: response.status, retryAfter: response.headers.get("retry-after") };
  };
  assert.equal((await status(LONG_TOKEN)).status, 200);
  const guesses = Array.from({ length: 10 }, (_, i) => `guess-number-${i}-of-the-token`);
  for (const guess of guesses) assert.equal((await status(guess)).status, 401);
  // Ten failures from this address: it now waits, even with the right token.
  const slowed = await status(LONG_TOKEN);
  assert.equal(slowed.status, 429);
  assert.ok(Number(slowed.retryAfter) >= 1, `retry-after ${slowed.retryAfter}`);
  const logged = await eventually(
    () => (gateway.stderr().match(/admin sign-in failed/g) ?? []).length === 10 && gateway.stderr(),
    "ten failure lines",
  );
  assert.match(logged, /"address":"127\.0\.0\.1"/);
  for (const guess of guesses) assert.ok(!logged.includes(guess), "no token in the log");
  // The wait passes.
  await new Promise((resolve) => setTimeout(resolve, Number(slowed.retryAfter) * 1000 + 100));
  assert.equal((await status(LONG_TOKEN)).status, 200);
});

Deno.test("wrong tokens on /metrics are logged and counted in the admin sign-in throttle", async () => {
  const metricsToken = "the-metrics-token-of-the-security-tests";
  await using gateway = await startMainProcess({
    SWITCHYARD_ADMIN_TOKEN: LONG_TOKEN,
    SWITCHYARD_METRICS_TOKEN: metricsToken,
    SWITCHYARD_LOG: "info",
  });
  const status = async (path: string, token: string) => {
    const response = await fetch(`${gateway.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.body?.cancel();
    return response.status;
  };
  assert.equal(await status("/metrics", LONG_TOKEN), 200);
  assert.equal(await status("/metrics", metricsToken), 200);
  const guesses = Array.from({ length: 10 }, (_, i) => `metrics-guess-${i}-of-the-token`);
  // Nine guesses, then the metrics token: it must not clear the count of guesses at the admin token.
  for (const guess of guesses.slice(0, 9)) assert.equal(await status("/metrics", guess), 401);
  assert.equal(await status("/metrics", metricsToken), 200);
  assert.equal(await status("/metrics", guesses[9]), 401);
  // Ten failures on /metrics: the address waits on /metrics and /admin alike, right tokens included.
  assert.equal(await status("/metrics", LONG_TOKEN), 429);
  assert.equal(await status("/metrics", metricsToken), 429);
  assert.equal(await status("/admin/accounts", LONG_TOKEN), 429);
  const logged = await eventually(
    () => (gateway.stderr().match(/admin sign-in failed/g) ?? []).length === 10 && gateway.stderr(),
    "ten failure lines",
  );
  assert.match(logged, /"address":"127\.0\.0\.1","path":"\/metrics"/);
  for (const guess of guesses) assert.ok(!logged.includes(guess), "no token in the log");
});

Deno.test("a SWITCHYARD_ADMIN_TOKEN under 32 characters stops start-up with one line", async () => {
  const result = await runMain({
    SWITCHYARD_KV: ":memory:",
    SWITCHYARD_ADMIN_TOKEN: "short-admin-token-0123456789",
  }, 15_000);
  assertOneLineExit(result, "SWITCHYARD_ADMIN_TOKEN", "32");
  assert.ok(!result.stderr.includes("short-admin-token"), "the token is not printed");
});

Deno.test("the KV folder is 0700 and the KV's files 0600", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-modes-" });
  try {
    {
      await using _gateway = await startMainProcess({}, dir);
    }
    assert.equal((await Deno.stat(`${dir}/data`)).mode! & 0o777, 0o700, "data/");
    const files = [...Deno.readDirSync(`${dir}/data`)].map((entry) => entry.name);
    assert.ok(files.includes("switchyard.kv"), files.join(", "));
    for (const name of files) {
      const mode = (await Deno.stat(`${dir}/data/${name}`)).mode! & 0o777;
      assert.equal(mode, 0o600, `${name}: ${mode.toString(8)}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an OAuth finish without state is refused before any code exchange", async () => {
  await using h = await startGateway({ accounts: [], secret: SECRET });
  const started = await h.admin("/admin/oauth/start", {
    method: "POST",
    json: { platform: "openai", id: "codex-1", tokenUrl: refusedUrl() },
  });
  assert.equal(started.status, 200, await started.clone().text());
  const { flow } = await readJson<{ flow: string }>(started);
  for (const input of ["a-bare-code", "http://localhost:1455/auth/callback?code=abc"]) {
    const finished = await h.admin("/admin/oauth/finish", {
      method: "POST",
      json: { flow, input },
    });
    const body = await readJson<{ error: { message: string; param: string } }>(finished);
    assert.equal(finished.status, 400, JSON.stringify(body));
    assert.equal(body.error.param, "input");
    assert.match(body.error.message, /no state/);
  }
});

/** A non-loopback IPv4 address of this machine, to reach a gateway from off loopback. */
function outsideAddress(): string | undefined {
  return Deno.networkInterfaces().find((face) =>
    face.family === "IPv4" && !face.address.startsWith("127.")
  )?.address;
}

Deno.test({
  name: "a non-loopback admin API warns at start; SWITCHYARD_ADMIN=loopback answers loopback only",
  ignore: outsideAddress() === undefined,
  async fn() {
    const outside = outsideAddress()!;
    {
      await using open = await startMainProcess({
        HOST: "0.0.0.0",
        SWITCHYARD_KV: ":memory:",
        SWITCHYARD_ADMIN_TOKEN: LONG_TOKEN,
      });
      assert.match(open.stderr(), /warning: the admin API listens on 0\.0\.0\.0 over plain HTTP/);
      const port = new URL(open.url).port;
      const fromOutside = await fetch(`http://${outside}:${port}/admin/accounts`, {
        headers: { authorization: `Bearer ${LONG_TOKEN}` },
      });
      await fromOutside.body?.cancel();
      assert.equal(fromOutside.status, 200, "without the setting, any address may");
    }
    {
      await using loopback = await startMainProcess({
        HOST: "0.0.0.0",
        SWITCHYARD_KV: ":memory:",
        SWITCHYARD_ADMIN_TOKEN: LONG_TOKEN,
        SWITCHYARD_ADMIN: "loopback",
      });
      assert.doesNotMatch(loopback.stderr(), /warning/);
      const port = new URL(loopback.url).port;
      const ask = async (host: string, path: string) => {
        const response = await fetch(`http://${host}:${port}${path}`, {
          headers: { authorization: `Bearer ${LONG_TOKEN}` },
        });
        await response.body?.cancel();
        return response.status;
      };
      assert.equal(await ask("127.0.0.1", "/admin/accounts"), 200);
      assert.equal(await ask("127.0.0.1", "/dashboard"), 200);
      assert.equal(await ask("127.0.0.1", "/metrics"), 200);
      assert.equal(await ask(outside, "/admin/accounts"), 404);
      assert.equal(await ask(outside, "/dashboard"), 404);
      assert.equal(await ask(outside, "/metrics"), 404, "the admin token stays on loopback");
      assert.equal(await ask(outside, "/healthz"), 200, "the API still answers everyone");
    }
    {
      const metricsToken = "the-metrics-token-of-the-security-tests";
      await using loopback = await startMainProcess({
        HOST: "0.0.0.0",
        SWITCHYARD_KV: ":memory:",
        SWITCHYARD_ADMIN_TOKEN: LONG_TOKEN,
        SWITCHYARD_METRICS_TOKEN: metricsToken,
        SWITCHYARD_ADMIN: "loopback",
      });
      const port = new URL(loopback.url).port;
      const ask = async (host: string, token: string) => {
        const response = await fetch(`http://${host}:${port}/metrics`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await response.body?.cancel();
        return response.status;
      };
      assert.equal(await ask(outside, metricsToken), 200, "the metrics token answers anywhere");
      assert.equal(
        await ask(outside, LONG_TOKEN),
        401,
        "off loopback the admin token is a wrong one",
      );
      assert.equal(await ask("127.0.0.1", LONG_TOKEN), 200);
    }
  },
});
