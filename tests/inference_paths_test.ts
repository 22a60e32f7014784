/**
 * A client key reaches only inference, over real sockets: the inference
 * endpoints go upstream; the account's files, batches, fine-tunes and the
 * like get 403 in the surface's shape with no upstream call; a group's
 * `allowPaths` (config or management API) opens more; and a stored response
 * is reachable only by the key that created it, on the account that stores it.
 */

import assert from "node:assert/strict";
import { ConfigError } from "../lib/config/errors.ts";
import { validateConfig } from "../lib/config/validate.ts";
import { type Latch, latch } from "./support/async.ts";
import { CLIENT_KEY, configDocument, startGateway } from "./support/gateway.ts";
import { readUntil } from "./support/streams.ts";
import { json, type TestUpstream, upstream } from "./support/upstream.ts";

const BOB_KEY = "sk-client-bob-0123456789";
const MODEL = "gpt-resp";

/** Alice and Bob share group `team`; nothing else differs between them. */
const TEAM_KEYS = [
  { id: "alice", key: CLIENT_KEY, group: "team" },
  { id: "bob", key: BOB_KEY, group: "team" },
];

/** An upstream answering anything with `{ok: true}`. */
function anyPath(): TestUpstream {
  return upstream(() => json(200, { ok: true }));
}

Deno.test("inference endpoints reach the upstream; anything else gets 403, no upstream call", async (t) => {
  await using openai = anyPath();
  await using claude = anyPath();
  await using gw = await startGateway({
    accounts: [
      { id: "oa", upstream: openai },
      { id: "claude", upstream: claude, platform: "anthropic" },
    ],
  });
  const upstreamHits = () =>
    [...openai.hits, ...claude.hits].map((hit) => `${hit.method} ${hit.path}`).sort();

  await t.step("the inference endpoints go upstream", async () => {
    const allowed: [method: string, path: string, account: string][] = [
      ["POST", "/v1/chat/completions", "oa"],
      ["POST", "/v1/responses", "oa"],
      ["POST", "/v1/responses/compact", "oa"],
      ["POST", "/v1/responses/input_tokens", "oa"],
      ["POST", "/v1/completions", "oa"],
      ["POST", "/v1/embeddings", "oa"],
      ["POST", "/v1/moderations", "oa"],
      ["GET", "/v1/models", "oa"],
      ["GET", "/v1/models/gpt-4.1", "oa"],
      ["GET", "/v1/models/ft%3Agpt-4o-mini%3Aacme%3A%3Aabc", "oa"],
      ["POST", "/v1/audio/transcriptions", "oa"],
      ["POST", "/v1/audio/translations", "oa"],
      ["POST", "/v1/audio/speech", "oa"],
      ["POST", "/v1/images/generations", "oa"],
      ["POST", "/v1/images/edits", "oa"],
      ["POST", "/v1/images/variations", "oa"],
      ["POST", "/v1/messages", "claude"],
      ["POST", "/v1/messages/count_tokens", "claude"],
    ];
    for (const [method, path, account] of allowed) {
      const init = method === "GET" ? { method } : { json: { model: "m" } };
      const response = await gw.api(path, init);
      assert.equal(response.status, 200, `${method} ${path}`);
      assert.equal(response.headers.get("x-switchyard-account"), account);
      await response.body?.cancel();
    }
    assert.deepEqual(upstreamHits(), allowed.map(([method, path]) => `${method} ${path}`).sort());
  });

  await t.step("everything else: 403 in the surface's shape", async () => {
    const before = upstreamHits();
    const logged = gw.log.length;
    const denied: [method: string, path: string][] = [
      ["GET", "/v1/files"],
      ["POST", "/v1/files"],
      ["GET", "/v1/files/file-1/content"],
      ["DELETE", "/v1/files/file-1"],
      ["GET", "/v1/batches"],
      ["POST", "/v1/batches"],
      ["GET", "/v1/fine_tuning/jobs"],
      ["POST", "/v1/fine_tuning/jobs/ftjob-1/cancel"],
      ["DELETE", "/v1/models/ft:gpt-4o-mini:acme::abc"],
      ["GET", "/v1/chat/completions"],
      ["DELETE", "/v1/chat/completions/chatcmpl-1"],
      ["GET", "/v1/vector_stores"],
      ["GET", "/v1/models/x%2F..%2F..%2Ffiles"],
      ["POST", "/v1/messages/batches"],
      ["GET", "/v1/messages/batches/msgbatch_1/results"],
    ];
    for (const [method, path] of denied) {
      const init = method === "POST" ? { json: { model: "m" } } : { method };
      const response = await gw.api(path, init);
      assert.equal(response.status, 403, `${method} ${path}`);
      const body = await response.json();
      if (path.startsWith("/v1/messages")) {
        assert.equal(body.type, "error");
        assert.equal(body.error.type, "permission_error");
      } else {
        assert.deepEqual(Object.keys(body), ["error"]);
        assert.equal(body.error.type, "permission_error");
        assert.equal(body.error.param, null);
      }
      assert.ok(body.error.message.startsWith(`${method} ${path} is not open`), body.error.message);
      assert.match(body.error.message, /allowPaths on group "team"/);
    }
    assert.deepEqual(upstreamHits(), before, "no upstream call");
    assert.ok(gw.log.slice(logged).every((entry) => entry.outcome === "refused"));
  });
});

Deno.test("allowPaths widens a group, from the config and through the management API", async (t) => {
  await using openai = anyPath();
  await using gw = await startGateway({
    accounts: [{ id: "oa", upstream: openai }],
    groups: [
      { id: "team", accounts: ["oa"], allowPaths: ["/v1/files", "/v1/files/*"] },
      { id: "plain", accounts: ["oa"] },
    ],
    keys: [
      { id: "alice", key: CLIENT_KEY, group: "team" },
      { id: "bob", key: BOB_KEY, group: "plain" },
    ],
  });
  const status = async (method: string, path: string, key = CLIENT_KEY) => {
    const response = await gw.api(path, { method, key });
    await response.body?.cancel();
    return response.status;
  };

  await t.step("a config group's allowPaths, for every method", async () => {
    assert.equal(await status("GET", "/v1/files"), 200);
    assert.equal(await status("DELETE", "/v1/files/file-1"), 200);
    assert.equal(await status("GET", "/v1/files/file-1/content"), 200);
    assert.equal(await status("GET", "/v1/batches"), 403, "only what is listed");
    assert.equal(await status("GET", "/v1/files", BOB_KEY), 403, "only for that group");
    assert.deepEqual(openai.hits.map((hit) => `${hit.method} ${hit.path}`), [
      "GET /v1/files",
      "DELETE /v1/files/file-1",
      "GET /v1/files/file-1/content",
    ]);
  });

  await t.step("PUT /admin/groups sets allowPaths; requests follow at once", async () => {
    const put = await gw.admin("/admin/groups/plain", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ accounts: ["oa"], allowPaths: ["/v1/batches"] }),
    });
    assert.equal(put.status, 200);
    assert.deepEqual((await put.json()).allowPaths, ["/v1/batches"]);
    assert.equal(await status("GET", "/v1/batches", BOB_KEY), 200);
    assert.equal(await status("GET", "/v1/files", BOB_KEY), 403);
    const listed = await (await gw.admin("/admin/groups")).json();
    const plain = listed.find((group: { id: string }) => group.id === "plain");
    assert.deepEqual(plain.allowPaths, ["/v1/batches"]);
  });

  await t.step("the management API refuses a bad pattern with 400 naming it", async () => {
    const bad: [unknown, string, RegExp][] = [
      [["/v1/files/*/content"], "allowPaths[0]", /last segment/],
      [["/v1/files", "files"], "allowPaths[1]", /start with/],
      ["/v1/files", "allowPaths", /array/],
    ];
    for (const [allowPaths, param, problem] of bad) {
      const response = await gw.admin("/admin/groups", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: "g2", accounts: ["oa"], allowPaths }),
      });
      assert.equal(response.status, 400);
      const { error } = await response.json();
      assert.equal(error.param, param);
      assert.match(error.message, problem);
    }
  });

  await t.step("the config refuses a bad pattern naming the field", () => {
    const document = configDocument({
      accounts: [{ id: "oa", upstream: "http://127.0.0.1:9/v1" }],
      groups: [{ id: "team", accounts: ["oa"], allowPaths: ["/v1/files", "/v1/../admin"] }],
    });
    assert.throws(
      () => validateConfig(document, () => undefined),
      (error) => error instanceof ConfigError && error.field === "groups[0].allowPaths[1]",
    );
  });
});

/**
 * An OpenAI-like upstream that stores responses. Creates answer JSON, or for
 * `stream: true` an SSE stream written as real upstreams write it (CRLF, the
 * `response.created` event cut inside the id, one piece per flush) that waits
 * for `hold` after the first delta. Everything else echoes what it was asked.
 */
function responsesApi(label: string, hold?: Promise<void>): TestUpstream {
  let count = 0;
  return upstream(async (request, hit) => {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || path !== "/v1/responses") {
      return json(200, { object: "echo", method: request.method, path, account: label });
    }
    const body = JSON.parse(hit.body);
    const id = `resp_${label}${++count}`;
    const store = body.store !== false;
    const response = { id, object: "response", status: "completed", model: MODEL, store };
    if (!body.stream) return json(200, { ...response, usage: null });
    return await heldStream(id, store, hold);
  });
}

function heldStream(id: string, store: boolean, hold?: Promise<void>): Response {
  const created = JSON.stringify({
    type: "response.created",
    response: { id, object: "response", status: "in_progress", model: MODEL, store, usage: null },
  });
  const first = `event: response.created\r\ndata: ${created}\r\n\r\n`;
  const cut = first.indexOf(id) + 6;
  const delta = `event: response.output_text.delta\r\ndata: ` +
    `{"type":"response.output_text.delta","delta":"Hel"}\r\n\r\n`;
  const completed = `event: response.completed\r\ndata: ${
    JSON.stringify({
      type: "response.completed",
      response: { id, object: "response", status: "completed", model: MODEL, store },
    })
  }\r\n\r\n`;
  const pieces = [first.slice(0, cut), first.slice(cut), delta];
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = pieces.shift();
      if (piece !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, 1)); // one piece per read
        controller.enqueue(encoder.encode(piece));
        return;
      }
      await hold;
      controller.enqueue(encoder.encode(completed));
      controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}

/** The four requests on a stored response. */
const ON_RESPONSE: [method: string, suffix: string][] = [
  ["GET", ""],
  ["GET", "/input_items"],
  ["POST", "/cancel"],
  ["DELETE", ""],
];

Deno.test("a stored response is the creating key's alone (non-streaming create)", async (t) => {
  await using api = responsesApi("a");
  await using gw = await startGateway({ accounts: [{ id: "a", upstream: api }], keys: TEAM_KEYS });
  const created = await gw.api("/v1/responses", { json: { model: MODEL, input: "hi" } });
  assert.equal(created.status, 200);
  const { id } = await created.json();

  await t.step("another key: 404 as for an unknown id, with no upstream call", async () => {
    const before = api.hits.length;
    for (const [method, suffix] of ON_RESPONSE) {
      const response = await gw.api(`/v1/responses/${id}${suffix}`, { method, key: BOB_KEY });
      assert.equal(response.status, 404, `${method} ${suffix}`);
      const body = await response.json();
      assert.deepEqual(Object.keys(body), ["error"]);
      assert.equal(body.error.type, "invalid_request_error");
      assert.equal(body.error.code, "not_found");
      assert.match(body.error.message, new RegExp(`response "${id}" not found`));
    }
    const never = await gw.api("/v1/responses/resp_never_created", { method: "GET" });
    assert.equal(never.status, 404, "an id nobody created, for the creator too");
    await never.body?.cancel();
    assert.equal(api.hits.length, before);
  });

  await t.step("the creating key: retrieve, input items, cancel, delete go upstream", async () => {
    for (const [method, suffix] of ON_RESPONSE) {
      const response = await gw.api(`/v1/responses/${id}${suffix}`, { method });
      assert.equal(response.status, 200, `${method} ${suffix}`);
      assert.deepEqual(await response.json(), {
        object: "echo",
        method,
        path: `/v1/responses/${id}${suffix}`,
        account: "a",
      });
    }
  });

  await t.step("previous_response_id: only from the key's own responses", async () => {
    const before = api.hits.length;
    const bob = await gw.api("/v1/responses", {
      key: BOB_KEY,
      json: { model: MODEL, input: "and?", previous_response_id: id },
    });
    assert.equal(bob.status, 400);
    assert.match((await bob.json()).error.message, /previous_response_id "resp_a1" not found/);
    assert.equal(api.hits.length, before, "no upstream call");
    const alice = await gw.api("/v1/responses", {
      json: { model: MODEL, input: "and?", previous_response_id: id },
    });
    assert.equal(alice.status, 200);
    await alice.body?.cancel();
    const junk = await gw.api("/v1/responses", {
      json: { model: MODEL, input: "and?", previous_response_id: `${id}/../x`.repeat(50) },
    });
    assert.equal(junk.status, 400);
    assert.equal((await junk.json()).error.message, "previous_response_id is not a response id");
    assert.equal(api.hits.length, before + 1, "only Alice's request went upstream");
  });

  await t.step("store: false is not remembered", async () => {
    const unstored = await gw.api("/v1/responses", {
      json: { model: MODEL, input: "hi", store: false },
    });
    const { id: unstoredId } = await unstored.json();
    const response = await gw.api(`/v1/responses/${unstoredId}`, { method: "GET" });
    assert.equal(response.status, 404);
    await response.body?.cancel();
  });
});

Deno.test("a streamed create is the key's own from its response.created event on", async () => {
  const hold: Latch = latch();
  await using api = responsesApi("s", hold.promise);
  await using gw = await startGateway({ accounts: [{ id: "s", upstream: api }], keys: TEAM_KEYS });
  try {
    const response = await gw.api("/v1/responses", {
      json: { model: MODEL, input: "hi", stream: true, background: true },
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const seen = await readUntil(reader, '"delta":"Hel"');
    const id = /"id":"(resp_s\d+)"/.exec(seen)?.[1];
    assert.equal(id, "resp_s1");

    // The stream is still open: the creator may already cancel it; nobody else may.
    const before = api.hits.length;
    const bob = await gw.api(`/v1/responses/${id}/cancel`, { method: "POST", key: BOB_KEY });
    assert.equal(bob.status, 404);
    await bob.body?.cancel();
    assert.equal(api.hits.length, before, "no upstream call for another key");
    const alice = await gw.api(`/v1/responses/${id}/cancel`, { method: "POST" });
    assert.equal(alice.status, 200);
    assert.equal((await alice.json()).path, `/v1/responses/${id}/cancel`);

    hold.resolve();
    await readUntil(reader, "response.completed", seen);
    while (!(await reader.read()).done) { /* drain */ }
  } finally {
    hold.resolve();
  }
});

Deno.test("a stored response's requests go to the account that stores it", async () => {
  await using a = responsesApi("a");
  await using b = responsesApi("b");
  await using gw = await startGateway({
    accounts: [{ id: "a", upstream: a }, { id: "b", upstream: b }],
    keys: TEAM_KEYS,
  });
  const created = await gw.api("/v1/responses", { json: { model: MODEL, input: "hi" } });
  const holder = created.headers.get("x-switchyard-account");
  const { id } = await created.json();
  // Equal priorities take turns, so without pinning the next request would go to the other.
  for (let i = 0; i < 3; i++) {
    const response = await gw.api(`/v1/responses/${id}`, { method: "GET" });
    assert.equal((await response.json()).account, holder);
  }
  const next = await gw.api("/v1/responses", {
    json: { model: MODEL, input: "and?", previous_response_id: id },
  });
  assert.equal(next.headers.get("x-switchyard-account"), holder);
  await next.body?.cancel();
});

Deno.test("ownership lives in KV: a restarted gateway still knows it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-owners-" });
  try {
    await using api = responsesApi("k");
    const spec = { accounts: [{ id: "k", upstream: api }], keys: TEAM_KEYS, kvPath: `${dir}/s.kv` };
    let id: string;
    {
      await using first = await startGateway(spec);
      id = (await (await first.api("/v1/responses", { json: { model: MODEL } })).json()).id;
    }
    await using second = await startGateway(spec);
    const alice = await second.api(`/v1/responses/${id}`, { method: "GET" });
    assert.equal(alice.status, 200);
    await alice.body?.cancel();
    const bob = await second.api(`/v1/responses/${id}`, { method: "GET", key: BOB_KEY });
    assert.equal(bob.status, 404);
    await bob.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("allowPaths /v1/responses/* shares a group's stored responses", async () => {
  await using api = responsesApi("w");
  await using gw = await startGateway({
    accounts: [{ id: "w", upstream: api }],
    groups: [{ id: "team", accounts: ["w"], allowPaths: ["/v1/responses/*"] }],
    keys: TEAM_KEYS,
  });
  const { id } = await (await gw.api("/v1/responses", { json: { model: MODEL } })).json();
  const bob = await gw.api(`/v1/responses/${id}`, { method: "GET", key: BOB_KEY });
  assert.equal(bob.status, 200);
  await bob.body?.cancel();
  const other = await gw.api("/v1/responses/resp_made_elsewhere", { method: "GET" });
  assert.equal(other.status, 200);
  await other.body?.cancel();
});
