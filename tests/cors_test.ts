/**
 * CORS for browser-based clients, over real sockets: with `cors.origins` a
 * preflight from a listed origin is answered (and the client's headers
 * allowed), the real request's answer is readable by that origin, another
 * origin is refused; with no origins configured nothing changes.
 */

import assert from "node:assert/strict";
import { callApi, SECRET, startGateway } from "./support/gateway.ts";
import { chatCompletion, json as mockJson, upstream } from "./support/upstream.ts";

const CLIENT = "client-key-0123456789";
const APP = "https://app.example.com";

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, x-stainless-os",
    },
  });
}

function config(backendUrl: string, extra: Record<string, unknown> = {}) {
  return {
    accounts: [{ id: "oa-1", platform: "openai", baseUrl: backendUrl, apiKey: "sk-1" }],
    groups: [{ id: "team", accounts: ["oa-1"] }],
    keys: [{ id: "alice", key: CLIENT, group: "team" }],
    ...extra,
  };
}

Deno.test("cors.origins: preflight answered for a listed origin, refused for another", async () => {
  await using backend = upstream(() => mockJson(200, chatCompletion("hi")));
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: config(backend.url, { cors: { origins: [APP] } }),
  });
  try {
    const ok = await preflight(h.url, APP);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("access-control-allow-origin"), APP);
    assert.match(ok.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.equal(
      ok.headers.get("access-control-allow-headers"),
      "authorization, content-type, x-stainless-os",
    );
    await ok.body?.cancel();
    assert.equal(backend.hits.length, 0, "a preflight never reaches an account");

    const served = await callApi(h.url, "/v1/chat/completions", {
      key: CLIENT,
      json: { model: "m" },
      headers: {
        origin: APP,
      },
    });
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("access-control-allow-origin"), APP);
    assert.equal(served.headers.get("access-control-expose-headers"), "*");
    assert.equal(served.headers.get("x-switchyard-account"), "oa-1");
    assert.equal((await served.json()).choices[0].message.content, "hi");

    const other = await preflight(h.url, "https://evil.example");
    assert.equal(other.status, 403);
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    await other.body?.cancel();
    const plain = await callApi(h.url, "/v1/chat/completions", {
      key: CLIENT,
      json: { model: "m" },
      headers: {
        origin: "https://evil.example",
      },
    });
    assert.equal(plain.headers.get("access-control-allow-origin"), null);
    await plain.body?.cancel();
  } finally {
    await h.close();
  }
});

Deno.test("without cors.origins a preflight is not answered for any origin", async () => {
  await using backend = upstream(() => mockJson(200, chatCompletion("hi")));
  const h = await startGateway({
    secret: SECRET,
    usageFlushMs: 60_000,
    config: config(backend.url),
  });
  try {
    const response = await preflight(h.url, APP);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    assert.equal(response.status, 401, "an OPTIONS without a key, as before");
    await response.body?.cancel();
  } finally {
    await h.close();
  }
});
