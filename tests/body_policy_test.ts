/**
 * Policy read from a request body, over real sockets: the gateway parses the
 * body once and decides on the fields as the upstream will read them, so a
 * JSON escape in a field's name (`"previous\u005fresponse_id"`,
 * `"m\u006fdel"`, `"stre\u0061m"`) changes nothing; a body it cannot read
 * (invalid UTF-8 included),
 * a repeated top-level field, or a decisive field of the wrong type gets 400
 * in the client's API shape; and a reference to an account's stored objects
 * (conversations, items, files, vector stores, containers) is refused unless
 * the group's `allowPaths` opens that object's API. No refusal reaches the
 * upstream.
 */

import assert from "node:assert/strict";
import { CLIENT_KEY, configDocument, startGateway } from "./support/gateway.ts";
import { json, type TestUpstream, upstream } from "./support/upstream.ts";

const BOB_KEY = "sk-client-bob-0123456789";
const LIMITED_KEY = "sk-client-limited-0123456789";
const MODEL = "gpt-resp";

/** An upstream storing responses (`resp_<n>`), echoing any other request's body back. */
function storingUpstream(): TestUpstream {
  let count = 0;
  return upstream((request, hit) => {
    const path = new URL(request.url).pathname;
    if (request.method === "POST" && path === "/v1/responses") {
      return json(200, { id: `resp_${++count}`, object: "response", status: "completed" });
    }
    return json(200, { object: "echo", path, body: hit.body });
  });
}

/** Sends `text` as it is: the escapes must reach the gateway unchanged. */
function post(url: string, path: string, text: string, key = CLIENT_KEY, headers = {}) {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: text,
  });
}

async function startTeam(api: TestUpstream, allowPaths?: string[]) {
  const document = configDocument({ accounts: [{ id: "a", upstream: api }] });
  document.groups = [{ id: "team", accounts: ["a"], ...(allowPaths ? { allowPaths } : {}) }];
  document.keys = [
    { id: "alice", key: CLIENT_KEY, group: "team" },
    { id: "bob", key: BOB_KEY, group: "team" },
    { id: "limited", key: LIMITED_KEY, group: "team", allowModels: ["gpt-*"] },
  ];
  return await startGateway({ config: document });
}

Deno.test("an escaped previous_response_id is checked like the plain one", async () => {
  await using api = storingUpstream();
  await using gw = await startTeam(api);
  const created = await post(
    gw.url,
    "/v1/responses",
    JSON.stringify({ model: MODEL, input: "hi" }),
  );
  assert.equal(created.status, 200);
  const { id } = await created.json();
  const before = api.hits.length;
  const escaped = `{"model":"${MODEL}","input":"and?","previous\\u005fresponse_id":"${id}"}`;
  const bob = await post(gw.url, "/v1/responses", escaped, BOB_KEY);
  const body = await bob.json();
  assert.equal(bob.status, 400, JSON.stringify(body));
  assert.match(body.error.message, new RegExp(`previous_response_id "${id}" not found`));
  assert.equal(api.hits.length, before, "no upstream call");
  const alice = await post(gw.url, "/v1/responses", escaped);
  assert.equal(alice.status, 200, "the creating key continues through the escape too");
  await alice.body?.cancel();
});

Deno.test("an escaped model name is checked against allowModels", async (t) => {
  await using api = storingUpstream();
  await using gw = await startTeam(api);
  const chat = (text: string, key = LIMITED_KEY) => post(gw.url, "/v1/chat/completions", text, key);
  const messages = '"messages":[{"role":"user","content":"hi"}]';

  await t.step("m\\u006fdel: o1-pro is refused 403, no upstream call", async () => {
    const before = api.hits.length;
    const response = await chat(`{"m\\u006fdel":"o1-pro",${messages}}`);
    const body = await response.json();
    assert.equal(response.status, 403, JSON.stringify(body));
    assert.match(body.error.message, /may not use model "o1-pro"/);
    const value = await chat(`{"model":"\\u006f1-pro",${messages}}`);
    assert.equal(value.status, 403, "an escape in the value too");
    await value.body?.cancel();
    assert.equal(api.hits.length, before);
  });

  await t.step("a repeated model: 400 naming it, whichever copy is allowed", async () => {
    const before = api.hits.length;
    for (
      const text of [
        `{"model":"o1-pro","model":"gpt-4o",${messages}}`,
        `{"model":"gpt-4o","m\\u006fdel":"o1-pro",${messages}}`,
      ]
    ) {
      const response = await chat(text, CLIENT_KEY);
      const body = await response.json();
      assert.equal(response.status, 400, text);
      assert.equal(body.error.param, "model");
      assert.match(body.error.message, /more than once/);
    }
    assert.equal(api.hits.length, before);
  });

  await t.step("a model that is not a string: 400 naming it", async () => {
    for (const model of ["123", '["o1-pro"]', "null"]) {
      const response = await chat(`{"model":${model},${messages}}`);
      const body = await response.json();
      assert.equal(response.status, 400, model);
      assert.equal(body.error.param, "model");
    }
  });

  await t.step("an allowed model, escaped or not, goes upstream", async () => {
    const response = await chat(`{"m\\u006fdel":"gpt-4o",${messages}}`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });

  await t.step(
    "a model name beyond Latin-1 is served, named percent-encoded in the header",
    async () => {
      // A header value is bytes: the routed model used to go into `x-switchyard-model` as it was,
      // and a name like this one threw in Headers.set, a plain-text 500 after the upstream answered.
      for (const key of [LIMITED_KEY, CLIENT_KEY]) {
        const response = await chat(JSON.stringify({ model: "gpt-4o\u0101", messages: [] }), key);
        assert.equal(response.status, 200, key);
        // Named where the gateway read the model for a decision (here the key's allowModels).
        const named = response.headers.get("x-switchyard-model");
        if (key === LIMITED_KEY) assert.equal(named, "gpt-4o%C4%81");
        if (named) assert.equal(decodeURIComponent(named), "gpt-4o\u0101");
        await response.body?.cancel();
      }
    },
  );

  await t.step("a multipart form's model is checked too", async () => {
    const before = api.hits.length;
    const form = new FormData();
    form.set("model", "o1-pro");
    form.set("file", new Blob([new Uint8Array(16)]), "a.wav");
    const response = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${LIMITED_KEY}` },
      body: form,
    });
    assert.equal(response.status, 403);
    await response.body?.cancel();
    assert.equal(api.hits.length, before);
    form.set("model", "gpt-4o-transcribe");
    const allowed = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${LIMITED_KEY}` },
      body: form,
    });
    assert.equal(allowed.status, 200);
    await allowed.body?.cancel();
  });
});

Deno.test("a body that cannot be read: 400 in the client's shape, no upstream call", async () => {
  await using openai = storingUpstream();
  await using claude = storingUpstream();
  await using gw = await startGateway({
    accounts: [{ id: "a", upstream: openai }, {
      id: "c",
      upstream: claude,
      platform: "anthropic",
    }],
  });
  const cases: [path: string, text: string, problem: RegExp][] = [
    ["/v1/chat/completions", '{"model":"m",', /not valid JSON/],
    ["/v1/responses", "[1,2]", /JSON object/],
    ["/v1/responses", '{"model":"m","stream":"yes"}', /`stream`/],
    ["/v1/messages", '{"model":"m","max_tokens":1,', /not valid JSON/],
    ["/v1/messages", '{"model":"m","stream":true,"stream":false}', /more than once/],
  ];
  for (const [path, text, problem] of cases) {
    const response = await post(gw.url, path, text);
    const body = await response.json();
    assert.equal(response.status, 400, `${path} ${text}`);
    assert.match(body.error.message, problem);
    if (path === "/v1/messages") {
      assert.equal(body.type, "error");
      assert.equal(body.error.type, "invalid_request_error");
    } else assert.deepEqual(Object.keys(body), ["error"]);
  }
  assert.equal(openai.hits.length + claude.hits.length, 0);
});

Deno.test("a body that is not UTF-8 is refused where it is JSON, forwarded where it is opaque", async () => {
  await using api = storingUpstream();
  await using gw = await startTeam(api, ["/v1/files/*"]);
  // 0xff is never UTF-8: read leniently, "gpt-4o\xff" became "gpt-4o\u{fffd}" and passed `gpt-*`.
  const bytes = (...parts: (string | number)[]) =>
    new Uint8Array(
      parts.flatMap((part) =>
        typeof part === "number" ? [part] : [...new TextEncoder().encode(part)]
      ),
    );
  const send = (path: string, body: Uint8Array<ArrayBuffer>, key = LIMITED_KEY) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body,
    });
  const before = api.hits.length;
  const chat = await send(
    "/v1/chat/completions",
    bytes('{"model":"gpt-4o', 0xff, '","messages":[{"role":"user","content":"hi"}]}'),
  );
  const chatBody = await chat.json();
  assert.equal(chat.status, 400, JSON.stringify(chatBody));
  assert.deepEqual(Object.keys(chatBody), ["error"]);
  assert.match(chatBody.error.message, /not valid JSON \(it is not valid UTF-8\)/);
  const messages = await send(
    "/v1/messages",
    bytes(
      '{"model":"gpt-4o","max_tokens":1,"messages":[{"role":"user","content":"h',
      0xc3,
      'i"}]}',
    ),
  );
  const messagesBody = await messages.json();
  assert.equal(messages.status, 400, JSON.stringify(messagesBody));
  assert.equal(messagesBody.type, "error");
  assert.equal(messagesBody.error.type, "invalid_request_error");
  assert.match(messagesBody.error.message, /not valid UTF-8/);
  // A path opened by allowPaths: a JSON object with a bad byte is refused too...
  const files = await send("/v1/files/x", bytes('{"model":"o1-pro', 0xff, '"}'));
  assert.equal(files.status, 400);
  await files.body?.cancel();
  assert.equal(api.hits.length, before, "no refusal reaches the upstream");
  // ...while bytes that are not JSON at all pass as they are.
  const opaque = await send("/v1/files/x", bytes(0xff, 0x00, 0x80, "binary"));
  assert.equal(opaque.status, 200);
  await opaque.body?.cancel();
  assert.equal(api.hits.length, before + 1);
});

Deno.test("an escaped stream flag still gets the usage chunk asked for", async () => {
  await using api = upstream((_request, hit) => json(200, { echoed: hit.body }));
  await using gw = await startGateway({ accounts: [{ id: "a", upstream: api }] });
  const text = '{"model":"m","stre\\u0061m":true,"messages":[{"role":"user","content":"hi"}]}';
  const response = await post(gw.url, "/v1/chat/completions", text);
  await response.body?.cancel();
  const sent = JSON.parse(api.hits.at(-1)!.body);
  assert.equal(sent.stream, true);
  assert.deepEqual(sent.stream_options, { include_usage: true });
});

Deno.test("references to an account's stored objects are refused unless allowPaths opens them", async (t) => {
  await using api = storingUpstream();
  await using gw = await startTeam(api);
  const file = (id: string) => ({
    role: "user",
    content: [{ type: "input_file", file_id: id }, { type: "input_text", text: "sum up" }],
  });
  const refused: [path: string, body: string, param: string][] = [
    ["/v1/responses", `{"model":"m","conversation":"conv_1"}`, "conversation"],
    ["/v1/responses", `{"model":"m","c\\u006fnversation":{"id":"conv_1"}}`, "conversation"],
    [
      "/v1/responses",
      `{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`,
      "input[0]",
    ],
    ["/v1/responses", `{"model":"m","input":[{"id":"msg_1"}]}`, "input[0]"],
    [
      "/v1/responses",
      JSON.stringify({ model: "m", input: [file("file-1")] }),
      "input[0].content[0].file_id",
    ],
    [
      "/v1/responses",
      `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","fil\\u0065_id":"file-1"}]}]}`,
      "input[0].content[0].file_id",
    ],
    [
      "/v1/responses",
      JSON.stringify({ model: "m", tools: [{ type: "file_search", vector_store_ids: ["vs_1"] }] }),
      "tools[0].vector_store_ids",
    ],
    [
      "/v1/responses",
      JSON.stringify({ model: "m", tools: [{ type: "code_interpreter", container: "cntr_1" }] }),
      "tools[0].container",
    ],
    [
      "/v1/chat/completions",
      JSON.stringify({
        model: "m",
        messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }],
      }),
      "messages[0].content[0].file.file_id",
    ],
  ];

  await t.step("400 naming the field, in the OpenAI shape, no upstream call", async () => {
    const before = api.hits.length;
    for (const [path, text, param] of refused) {
      const response = await post(gw.url, path, text);
      const body = await response.json();
      assert.equal(response.status, 400, text);
      assert.deepEqual(Object.keys(body), ["error"]);
      assert.equal(body.error.type, "invalid_request_error");
      assert.equal(body.error.param, param, text);
      assert.match(body.error.message, /stored by the account/);
    }
    assert.equal(api.hits.length, before);
  });

  await t.step("a file named in text, and file data inline, go upstream", async () => {
    const inline = {
      model: "m",
      input: [{
        role: "user",
        content: [
          { type: "input_text", text: 'what is "file_id": "file-1"?' },
          { type: "input_file", filename: "a.txt", file_data: "data:text/plain;base64,aGk=" },
        ],
      }],
    };
    const response = await post(gw.url, "/v1/responses", JSON.stringify(inline));
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });
});

Deno.test("allowPaths opening /v1/files/* lets the group's bodies name files", async () => {
  await using api = storingUpstream();
  await using gw = await startTeam(api, ["/v1/files/*"]);
  const text = JSON.stringify({
    model: "m",
    input: [{ role: "user", content: [{ type: "input_file", file_id: "file-1" }] }],
  });
  const response = await post(gw.url, "/v1/responses", text);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  const vectors = JSON.stringify({
    model: "m",
    tools: [{ type: "file_search", vector_store_ids: ["vs_1"] }],
  });
  const refused = await post(gw.url, "/v1/responses", vectors);
  assert.equal(refused.status, 400, "vector stores are not files");
  await refused.body?.cancel();
});
