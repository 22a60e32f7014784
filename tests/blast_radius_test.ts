import assert from "node:assert/strict";
import { json, startMockUpstream } from "../scripts/support/mock_upstream.ts";
import {
  adminAccounts,
  callApi,
  configDoc,
  SECRET,
  startGateway,
  tempKvPath,
} from "./support/gateway.ts";

Deno.test("blast radius: one request cools at most two accounts", async (t) => {
  const tmp = await tempKvPath();
  let script: (id: string) => Response = () => json(200, {});
  const mocks = ["a", "b", "c", "d"].map((id) => ({
    id,
    server: startMockUpstream(() => script(id)),
  }));
  const doc = configDoc(
    mocks.map(({ id, server }, index) => ({
      id,
      platform: "openai",
      baseUrl: server.url,
      apiKey: `sk-${id}`,
      priority: index,
    })),
    { root: { failover: { maxSwitches: 5 } } },
  );
  const gw = await startGateway({ config: doc, kvPath: tmp.path, secret: SECRET });
  const hits = () => mocks.map(({ server }) => server.hits.length);
  const reset = async () => {
    for (const { id } of mocks) await gw.gateway.states.reset(id);
  };
  try {
    await t.step("the same HTML 403 from two accounts stops the request", async () => {
      script = () =>
        new Response("<!doctype html><html><body>Forbidden</body></html>", {
          status: 403,
          headers: { "content-type": "text/html" },
        });
      const response = await callApi(gw.url, "/v1/chat/completions", { json: { model: "m" } });
      assert.equal(response.status, 403);
      assert.match(await response.text(), /Forbidden/);
      assert.deepEqual(hits(), [1, 1, 0, 0]);
      const states = (await adminAccounts(gw.url)).map((v) => v.state);
      assert.deepEqual(states, ["cooldown", "cooldown", "active", "active"]);
      await reset();
    });

    await t.step("different non-quota errors still cool no more than two accounts", async () => {
      const before = hits();
      script = (id) =>
        id === "a"
          ? json(500, { error: { message: "oops" } })
          : id === "b"
          ? json(403, { error: { message: "nope", type: "permission_error" } })
          : new Response("<html>denied</html>", {
            status: 403,
            headers: { "content-type": "text/html" },
          });
      const response = await callApi(gw.url, "/v1/chat/completions", { json: { model: "m" } });
      assert.equal(response.status, 403);
      assert.equal(await response.text(), "<html>denied</html>", "the third error is returned");
      const after = hits();
      assert.deepEqual(after.map((n, i) => n - before[i]), [1, 1, 1, 0]);
      const states = (await adminAccounts(gw.url)).map((v) => v.state);
      assert.deepEqual(states, ["cooldown", "cooldown", "active", "active"]);
      await reset();
    });

    await t.step("quota and rate-limit answers do not count", async () => {
      script = (id) =>
        id === "d"
          ? json(200, { served: id })
          : json(429, { error: { message: "slow down", type: "rate_limit_error" } });
      const response = await callApi(gw.url, "/v1/chat/completions", { json: { model: "m" } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { served: "d" });
      await reset();
    });
  } finally {
    await gw.close();
    for (const { server } of mocks) await server.close();
    await tmp.cleanup();
  }
});
