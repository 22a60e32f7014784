import assert from "node:assert/strict";
import { holdSignalListeners, kvDeadlineFrom, onDeploy } from "./boot.ts";
import { storeTarget } from "./kv/open.ts";

Deno.test("boot takes Deploy's no-argument openKv only where DENO_DEPLOYMENT_ID or DENO_DEPLOY=1 is set", () => {
  const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
  const deploy = envOf({ DENO_DEPLOYMENT_ID: "abc123" });
  const local = envOf({});
  assert.equal(onDeploy(deploy), true);
  assert.equal(onDeploy(local), false);
  assert.deepEqual(storeTarget(deploy("SWITCHYARD_KV"), onDeploy(deploy)), { kind: "deploy" });
  assert.equal(storeTarget(local("SWITCHYARD_KV"), onDeploy(local)).kind, "file");
  assert.equal(onDeploy(envOf({ DENO_DEPLOY: "1" })), true, "the current Deploy's flag alone");
  assert.equal(onDeploy(envOf({ DENO_DEPLOY: "0" })), false);
  const remote = envOf({ DENO_DEPLOYMENT_ID: "abc123", SWITCHYARD_KV: "https://kv.example/db" });
  assert.equal(storeTarget(remote("SWITCHYARD_KV"), onDeploy(remote)).kind, "remote");
});

Deno.test("SWITCHYARD_KV_DEADLINE_MS: unset is the default, a whole number of ms in range is taken", () => {
  assert.equal(kvDeadlineFrom(undefined), undefined);
  assert.equal(kvDeadlineFrom(""), undefined);
  assert.equal(kvDeadlineFrom("100"), 100);
  assert.equal(kvDeadlineFrom("5000"), 5000);
  assert.equal(kvDeadlineFrom("60000"), 60000);
});

Deno.test("holdSignalListeners: deno serve's shutdown listener waits for the release, once", async () => {
  const original = Deno.addSignalListener;
  const release = holdSignalListeners();
  let calls = 0;
  const shutdown = () => calls++;
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
  assert.equal(Deno.addSignalListener, original, "given back after one of each");
  await Promise.resolve();
  assert.equal(calls, 0, "held until the sockets have drained");
  await release();
  assert.equal(calls, 1, "one handler for both signals is called once");
});

Deno.test("holdSignalListeners: a server that starts listening after the signal is shut down at once", async () => {
  // A worker still booting when the signal came: without this its server would run on, and the
  // process (which no worker ends with Deno.exit) with it.
  const release = holdSignalListeners();
  await release();
  let calls = 0;
  const shutdown = () => calls++;
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
  await Promise.resolve();
  assert.equal(calls, 1);
});
