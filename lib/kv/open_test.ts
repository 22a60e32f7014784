import assert from "node:assert/strict";
import { openStore, storeTarget } from "./open.ts";

/** Holds the SQLite file's write lock in another process for `ms`, as a gateway starting at the same moment can. */
async function lockHolder(path: string, ms: number): Promise<AsyncDisposable> {
  const script = `
    import { DatabaseSync } from "node:sqlite";
    const db = new DatabaseSync(${JSON.stringify(path)});
    db.exec("BEGIN EXCLUSIVE");
    console.log("locked");
    setTimeout(() => { db.exec("COMMIT"); db.close(); }, ${ms});
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("locked")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("the lock holder exited early");
    seen += value;
  }
  return {
    async [Symbol.asyncDispose]() {
      await reader.cancel();
      await child.status;
    },
  };
}

Deno.test("opening a KV file another process holds locked waits for the lock", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-open-" });
  const path = `${dir}/state.kv`;
  // SQLite's own wait ends after 5 s ("database is locked"); the lock outlasts it.
  try {
    await using _holder = await lockHolder(path, 5_500);
    const store = await openStore(path, false);
    await store.kv.set(["opened"], true);
    assert.equal((await store.kv.get(["opened"])).value, true);
    store.kv.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storeTarget: Deploy's no-argument openKv only on Deploy with no setting", () => {
  const cases: [string | undefined, boolean, ReturnType<typeof storeTarget>][] = [
    [undefined, true, { kind: "deploy" }],
    [undefined, false, { kind: "file", path: "./data/switchyard.kv" }],
    ["https://kv.example/db", true, { kind: "remote", url: "https://kv.example/db" }],
    ["http://127.0.0.1:4512", false, { kind: "remote", url: "http://127.0.0.1:4512" }],
    [":memory:", true, { kind: "memory" }],
    ["/var/lib/s.kv", false, { kind: "file", path: "/var/lib/s.kv" }],
  ];
  for (const [setting, onDeploy, expected] of cases) {
    assert.deepEqual(storeTarget(setting, onDeploy), expected, `${setting} ${onDeploy}`);
  }
});
