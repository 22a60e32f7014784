/**
 * Recovery that does not wait for an admin, over real sockets: half-open
 * probes of temporarily disabled accounts (one request across every process,
 * first in line, invisible to the client when it fails) and cooldowns scoped
 * to one (account, model) pair.
 *
 * Probe timing is driven without sleeping where the design allows: a
 * disabled state written through the store with a `now` in the past is due
 * at once, and the wait after it is checked against timestamps taken around
 * the request. One test goes the whole way in real time with `probeSeconds: 1`.
 */

import assert from "node:assert/strict";
import { eventually } from "./support/async.ts";
import {
  adminAccounts,
  callApi,
  chatRequest,
  configDoc,
  messagesRequest,
  SECRET,
  startGateway,
  tempKvPath,
  type TestGateway,
} from "./support/gateway.ts";
import {
  anthropicError,
  anthropicMessage,
  chatCompletion,
  json,
  openaiError,
  upstream,
  USAGE_LIMIT_403,
} from "./support/upstream.ts";
import { startMockUpstream } from "../scripts/support/mock_upstream.ts";
import { bothKvs } from "./support/shared_kv.ts";
import { refusedRefresh } from "./support/protocol_mocks.ts";

/** An admin row with the recovery fields (the fixture's `account()` reduces rows to the core). */
interface RecoveryRow {
  id: string;
  state: string;
  strikes: number;
  reason?: string;
  probeAt?: string;
  modelCooldowns: { model: string; until: string; reason: string }[];
}

async function row(gw: TestGateway, id: string): Promise<RecoveryRow> {
  const rows: RecoveryRow[] = await (await gw.admin("/admin/accounts")).json();
  const found = rows.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no account ${id}`);
  return found;
}

async function chat(gw: TestGateway, model = "gpt-test"): Promise<Response> {
  const response = await gw.api("/v1/chat/completions", { json: chatRequest("hi", { model }) });
  await response.body?.cancel();
  return response;
}

const served = (response: Response) => response.headers.get("x-switchyard-account");
const TEMPORARY = {
  kind: "disable",
  reason: "3 consecutive 403 responses",
  temporary: true,
} as const;

Deno.test("strikes disable an account; after probeSeconds one request probes it and a success restores it", async () => {
  let healthy = false;
  await using flaky = upstream(() =>
    healthy ? json(200, chatCompletion("flaky")) : json(403, USAGE_LIMIT_403)
  );
  await using backup = upstream(() => json(200, chatCompletion("backup")));
  await using gw = await startGateway({
    accounts: [
      { id: "flaky", upstream: flaky, passthrough: true, priority: 1 },
      { id: "backup", upstream: backup, priority: 2 },
    ],
    failover: { forbiddenStrikes: 3, cooldownSeconds: { forbidden: 0 }, probeSeconds: 1 },
  });

  const before = Date.now();
  for (let i = 0; i < 3; i++) assert.equal(served(await chat(gw)), "backup");
  const disabled = await row(gw, "flaky");
  assert.equal(disabled.state, "disabled");
  assert.match(disabled.reason ?? "", /3 consecutive 403/);
  const probeAt = Date.parse(disabled.probeAt ?? "");
  assert.ok(probeAt >= before + 1000 && probeAt <= Date.now() + 1000, disabled.probeAt);
  assert.equal(flaky.hits.length, 3);

  healthy = true;
  await eventually(() => Promise.resolve(Date.now() > probeAt), "the probe to come due");
  const probe = await chat(gw);
  assert.equal(probe.status, 200);
  assert.equal(served(probe), "flaky", "the probe served the request");
  assert.equal(flaky.hits.length, 4);
  await eventually(
    () => Promise.resolve(gw.log.length === 4),
    "the request log line (written when the body ends)",
  );
  assert.equal(gw.log[3].attempts[0].probe, true, "the log marks the attempt as a probe");
  await eventually(async () => (await row(gw, "flaky")).state === "active", "the restore");
  const restored = await row(gw, "flaky");
  assert.equal(restored.strikes, 0);
  assert.equal(restored.probeAt, undefined);
  assert.equal(served(await chat(gw)), "flaky", "back in normal rotation");
});

Deno.test("a failed probe doubles the wait and is invisible to the client, even with maxSwitches 0", async () => {
  await using dead = upstream(() => json(403, USAGE_LIMIT_403));
  await using main = upstream(() => json(200, chatCompletion("main")));
  await using gw = await startGateway({
    accounts: [
      { id: "main", upstream: main, priority: 1 },
      { id: "dead", upstream: dead, passthrough: true, priority: 2 },
    ],
    // No 403 cooldown: it would hold the next probe back past the doubled wait.
    failover: { maxSwitches: 0, probeSeconds: 60, cooldownSeconds: { forbidden: 0 } },
  });
  const states = gw.gateway.states;
  await states.apply("dead", TEMPORARY, Date.now() - 61_000);

  const before = Date.now();
  const response = await chat(gw);
  const after = Date.now();
  assert.equal(response.status, 200);
  assert.equal(served(response), "main");
  assert.equal(dead.hits.length, 1, "the probe went first, ahead of a better account");
  assert.equal(main.hits.length, 1, "a probe does not use up maxSwitches");

  await eventually(
    async () => (await states.current()).health("dead").disabled?.probeWaitMs === 120_000,
    "the doubled wait",
  );
  const view = await row(gw, "dead");
  assert.equal(view.state, "disabled");
  const probeAt = Date.parse(view.probeAt ?? "");
  assert.ok(probeAt >= before + 120_000 && probeAt <= after + 120_000, view.probeAt);

  assert.equal(served(await chat(gw)), "main");
  assert.equal(dead.hits.length, 1, "no second probe before the doubled wait");
});

Deno.test("a probe that is the only candidate answers the client with its error", async () => {
  await using dead = upstream(() => json(403, USAGE_LIMIT_403));
  await using gw = await startGateway({
    accounts: [{ id: "dead", upstream: dead, passthrough: true }],
    failover: { probeSeconds: 60 },
  });
  await gw.gateway.states.apply("dead", TEMPORARY, Date.now() - 61_000);
  const response = await gw.api("/v1/chat/completions", { json: chatRequest() });
  assert.equal(response.status, 403);
  assert.deepEqual(await response.json(), USAGE_LIMIT_403);
  const next = await chat(gw);
  assert.equal(next.status, 503, "disabled again, probe not due");
  assert.equal(dead.hits.length, 1);
});

Deno.test("an API key's 401 stays disabled: no probe, however long it waits", async () => {
  await using revoked = upstream(() =>
    json(401, openaiError("Incorrect API key provided", "invalid_request_error"))
  );
  await using main = upstream(() => json(200, chatCompletion("main")));
  await using gw = await startGateway({
    accounts: [
      { id: "revoked", upstream: revoked, priority: 1 },
      { id: "main", upstream: main, priority: 2 },
    ],
    failover: { probeSeconds: 0.05 },
  });
  assert.equal(served(await chat(gw)), "main");
  const view = await row(gw, "revoked");
  assert.equal(view.state, "disabled");
  assert.equal(view.probeAt, undefined);
  const since = (await gw.gateway.states.current()).health("revoked").disabled!.since;
  // Well past the point where a temporary reason would have been probed (and doubled).
  await eventually(() => Promise.resolve(Date.now() > since + 500), "time to pass");
  assert.equal(served(await chat(gw)), "main");
  assert.equal(revoked.hits.length, 1);
});

Deno.test("probeSeconds 0 turns probes off: a day-old temporary disable is never probed", async () => {
  await using dead = upstream(() => json(200, chatCompletion("dead")));
  await using main = upstream(() => json(200, chatCompletion("main")));
  await using gw = await startGateway({
    accounts: [
      { id: "dead", upstream: dead, priority: 1 },
      { id: "main", upstream: main, priority: 2 },
    ],
    failover: { probeSeconds: 0 },
  });
  await gw.gateway.states.apply("dead", TEMPORARY, Date.now() - 86_400_000);
  assert.equal((await row(gw, "dead")).probeAt, undefined);
  for (let i = 0; i < 3; i++) assert.equal(served(await chat(gw)), "main");
  assert.equal(dead.hits.length, 0);
});

bothKvs(
  "two gateways on one KV racing for one due probe: exactly one upstream request probes",
  async (kv) => {
    await using dead = upstream(() => json(403, USAGE_LIMIT_403));
    await using main = upstream(() => json(200, chatCompletion("main")));
    {
      const spec = {
        accounts: [
          { id: "main", upstream: main, priority: 1 },
          { id: "dead", upstream: dead, passthrough: true, priority: 2 },
        ],
        failover: { probeSeconds: 60 },
        kvPath: kv.location,
      };
      await using one = await startGateway(spec);
      await using two = await startGateway(spec);
      // Both have read state before the disable, as busy processes have.
      assert.equal(served(await chat(one)), "main");
      assert.equal(served(await chat(two)), "main");
      await one.gateway.states.apply("dead", TEMPORARY, Date.now() - 61_000);

      const responses = await Promise.all(
        Array.from({ length: 16 }, (_, i) => chat(i % 2 ? one : two)),
      );
      assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
      assert.equal(dead.hits.length, 1, "exactly one probe across both processes");
      assert.equal(main.hits.length, 18);
    }
  },
);

Deno.test("a model limit rests the (account, model) pair; the account keeps serving other models", async () => {
  const bigLimited = { one: true, two: false };
  const answer = (id: "one" | "two") => (_request: Request, hit: { body: string }) =>
    JSON.parse(hit.body).model === "gpt-big" && bigLimited[id]
      ? json(
        429,
        openaiError(
          "Rate limit reached for gpt-big in organization org-1 on requests per day (RPD): Limit 100, Used 100.",
          "requests",
        ),
        { "x-ratelimit-reset-requests": "6m0s" },
      )
      : json(200, chatCompletion(id));
  await using one = upstream(answer("one"));
  await using two = upstream(answer("two"));
  await using gw = await startGateway({
    accounts: [
      { id: "one", upstream: one, priority: 1 },
      { id: "two", upstream: two, priority: 2 },
    ],
  });
  const modelsHit = (mock: { hits: { body: string }[] }) =>
    mock.hits.map((hit) => JSON.parse(hit.body).model);

  const before = Date.now();
  assert.equal(served(await chat(gw, "gpt-big")), "two", "failed over for the limited model");
  const view = await row(gw, "one");
  assert.equal(view.state, "active");
  assert.equal(view.strikes, 0);
  assert.deepEqual(view.modelCooldowns.map(({ model, reason }) => ({ model, reason })), [
    { model: "gpt-big", reason: "rateLimited" },
  ]);
  const until = Date.parse(view.modelCooldowns[0].until);
  assert.ok(
    until >= before + 360_000 && until <= Date.now() + 360_000,
    view.modelCooldowns[0].until,
  );
  assert.deepEqual((await row(gw, "two")).modelCooldowns, []);

  assert.equal(served(await chat(gw, "gpt-small")), "one", "other models stay on the account");
  assert.equal(served(await chat(gw, "gpt-big")), "two");
  assert.deepEqual(modelsHit(one), ["gpt-big", "gpt-small"], "no second gpt-big request to one");

  // The other account runs out for that model too: the gateway answers 429 itself.
  bigLimited.two = true;
  const last = await chat(gw, "gpt-big");
  assert.equal(last.status, 429, "the last account's own 429, verbatim");
  const cooling = await gw.api("/v1/chat/completions", {
    json: chatRequest("hi", { model: "gpt-big" }),
  });
  assert.equal(cooling.status, 429);
  const seconds = Number(cooling.headers.get("retry-after"));
  assert.ok(seconds > 300 && seconds <= 360, `retry-after ${seconds}`);
  assert.match((await cooling.json()).error.message, /cooling down/);
  assert.equal(two.hits.length, 3, "no upstream call while every account rests for the model");
  assert.equal(served(await chat(gw, "gpt-small")), "one");

  // An admin reset clears the account's model cooldowns.
  const reset = await gw.admin("/admin/accounts/one/reset", { method: "POST" });
  assert.deepEqual((await reset.json()).modelCooldowns, []);
  bigLimited.one = false;
  assert.equal(served(await chat(gw, "gpt-big")), "one");
});

Deno.test("Anthropic's weekly Opus limit rests Opus on that account only", async () => {
  const weekFromNow = Math.floor(Date.now() / 1000) + 7 * 86_400;
  await using claude1 = upstream((_request, hit) =>
    JSON.parse(hit.body).model.includes("opus")
      ? json(
        429,
        anthropicError("This request would exceed your rate limit.", "rate_limit_error"),
        {
          "anthropic-ratelimit-unified-status": "rejected",
          "anthropic-ratelimit-unified-5h-status": "allowed",
          "anthropic-ratelimit-unified-5h-reset": String(weekFromNow - 6 * 86_400),
          "anthropic-ratelimit-unified-7d_opus-status": "rejected",
          "anthropic-ratelimit-unified-7d_opus-reset": String(weekFromNow),
        },
      )
      : json(200, anthropicMessage("claude-1"))
  );
  await using claude2 = upstream(() => json(200, anthropicMessage("claude-2")));
  await using gw = await startGateway({
    accounts: [
      { id: "claude-1", upstream: claude1, platform: "anthropic", priority: 1 },
      { id: "claude-2", upstream: claude2, platform: "anthropic", priority: 2 },
    ],
  });
  const send = async (model: string) => {
    const response = await gw.api("/v1/messages", { json: messagesRequest("hi", { model }) });
    await response.body?.cancel();
    return served(response);
  };
  assert.equal(await send("claude-opus-4-1"), "claude-2");
  assert.deepEqual((await row(gw, "claude-1")).modelCooldowns, [{
    model: "claude-opus-4-1",
    until: new Date(weekFromNow * 1000).toISOString(),
    reason: "quota",
  }]);
  assert.equal((await row(gw, "claude-1")).state, "active");
  assert.equal(await send("claude-sonnet-4-5"), "claude-1");
  assert.equal(await send("claude-opus-4-1"), "claude-2");
  assert.equal(claude1.hits.length, 2);
});

Deno.test("a model no account has: the upstreams' 404, then the gateway's own model_not_found", async () => {
  const missing = () => (_request: Request, hit: { body: string }) =>
    JSON.parse(hit.body).model === "gpt-typo"
      ? json(
        404,
        openaiError(
          "The model `gpt-typo` does not exist or you do not have access to it.",
          "invalid_request_error",
        ),
      )
      : json(200, chatCompletion("ok"));
  await using one = upstream(missing());
  await using two = upstream(missing());
  await using gw = await startGateway({
    accounts: [
      { id: "one", upstream: one, priority: 1 },
      { id: "two", upstream: two, priority: 2 },
    ],
  });
  const first = await gw.api("/v1/chat/completions", {
    json: chatRequest("hi", { model: "gpt-typo" }),
  });
  assert.equal(first.status, 404);
  assert.match((await first.json()).error.message, /does not exist/);
  assert.equal(one.hits.length + two.hits.length, 2, "each account said so once");

  const second = await gw.api("/v1/chat/completions", {
    json: chatRequest("hi", { model: "gpt-typo" }),
  });
  assert.equal(second.status, 404);
  const body = await second.json();
  assert.equal(body.error.code, "model_not_found");
  assert.match(body.error.message, /gpt-typo/);
  assert.equal(one.hits.length + two.hits.length, 2, "no upstream call");
  assert.equal(served(await chat(gw, "gpt-test")), "one");
});

Deno.test("OAuth: a 401 that outlives a refresh gets probes; a rejected refresh token does not", async () => {
  const tmp = await tempKvPath();
  let rejectRefresh = false;
  const tokens = startMockUpstream(() =>
    rejectRefresh
      ? refusedRefresh()
      : json(200, { access_token: "access-new", refresh_token: "refresh-new", expires_in: 3600 })
  );
  const revoked = startMockUpstream(() =>
    json(401, openaiError("account deactivated", "invalid_request_error"))
  );
  const spare = startMockUpstream(() => json(200, { ok: true }));
  const oauthAccount = (id: string, expiresAt: number) => ({
    id,
    platform: "openai",
    baseUrl: revoked.url,
    priority: 1,
    oauth: {
      accessToken: "access-0",
      refreshToken: `refresh-${id}`,
      expiresAt,
      accountId: "acct",
      tokenUrl: `${tokens.url}/oauth/token`,
    },
  });
  const doc = configDoc([
    oauthAccount("codex-401", Date.now() + 3600_000),
    { id: "spare", platform: "openai", baseUrl: spare.url, apiKey: "sk-spare", priority: 2 },
  ]);
  const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
  try {
    const response = await callApi(gw.url, "/v1/responses", {
      json: { model: "gpt-test", input: "hi" },
    });
    assert.equal(response.headers.get("x-switchyard-account"), "spare");
    await response.body?.cancel();
    assert.equal(revoked.hits.length, 2, "sent, refreshed, sent again");
    const view = (await adminAccounts(gw.url)).find((v) => v.id === "codex-401")!;
    assert.equal(view.state, "disabled");
    assert.ok(view.probeAt, "a 401 after a refresh is temporary");
  } finally {
    await gw.close();
  }

  rejectRefresh = true;
  const doc2 = configDoc([
    oauthAccount("codex-grant", Date.now() - 1000),
    { id: "spare", platform: "openai", baseUrl: spare.url, apiKey: "sk-spare", priority: 2 },
  ]);
  const gw2 = await startGateway({ config: doc2, kvPath: tmp.path, secret: SECRET });
  try {
    const response = await callApi(gw2.url, "/v1/responses", {
      json: { model: "gpt-test", input: "hi" },
    });
    assert.equal(response.headers.get("x-switchyard-account"), "spare");
    await response.body?.cancel();
    const view = (await adminAccounts(gw2.url)).find((v) => v.id === "codex-grant")!;
    assert.equal(view.state, "disabled");
    assert.match(String(view.reason), /invalid_grant/);
    assert.equal(view.probeAt, undefined, "a rejected refresh token needs a new sign-in");
  } finally {
    await gw2.close();
    await tokens.close();
    await revoked.close();
    await spare.close();
    await tmp.cleanup();
  }
});
