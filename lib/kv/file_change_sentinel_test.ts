/**
 * The sentinel against real writes from another process on the same KV file,
 * including after a checkpoint (when a commit reuses the `-wal` file from its
 * start instead of growing it) and with no `-wal` file at all.
 */

import assert from "node:assert/strict";
import { relative } from "node:path";
import { FileChangeSentinel } from "./file_change_sentinel.ts";

/** Runs `code` in another Deno process with `kv` open on `path`. */
async function inOtherProcess(path: string, code: string): Promise<void> {
  const script = `const kv = await Deno.openKv(${JSON.stringify(path)}); ${code}; kv.close();`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-kv", script],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
}

/** Reads as the health store does until the sentinel trusts the read (bounded). */
async function verify(sentinel: FileChangeSentinel, read: () => Promise<unknown>): Promise<void> {
  for (let round = 0; round < 200; round++) {
    const files = sentinel.observe();
    const startedAt = Date.now();
    await read();
    sentinel.verified(files, startedAt);
    if (sentinel.unchanged()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the sentinel never trusted a read");
}

/** Runs `test` with a KV file in a temporary directory, open here unless `open` is false. */
async function withKvFile(
  test: (path: string, kv: Deno.Kv | undefined) => Promise<void>,
  open = true,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-sentinel-" });
  const path = `${dir}/state.kv`;
  const kv = open ? await Deno.openKv(path) : undefined;
  try {
    await kv?.set(["n"], 0);
    await test(path, kv);
  } finally {
    kv?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function walSize(path: string): number {
  return Deno.statSync(`${path}-wal`).size;
}

Deno.test("a write by another process is seen, also after a checkpoint reset the log", () =>
  withKvFile(async (path, kv) => {
    const sentinel = new FileChangeSentinel(path);
    const read = () => kv!.get(["n"]);

    await verify(sentinel, read);
    await inOtherProcess(path, `await kv.set(["n"], 1)`);
    assert.equal(sentinel.unchanged(), false, "a plain commit was missed");

    // Well past SQLite's 1000-page auto-checkpoint: the log is copied into the
    // database, and the next commit writes the log from its start again.
    await inOtherProcess(
      path,
      `for (let i = 0; i < 150; i++) await kv.set(["big", i], "x".repeat(60_000))`,
    );
    await verify(sentinel, read);
    const before = walSize(path);
    await inOtherProcess(path, `await kv.set(["n"], 2)`);
    assert.equal(walSize(path), before, "the commit did not reuse the log (no checkpoint)");
    assert.equal(sentinel.unchanged(), false, "a commit after a checkpoint was missed");
    assert.equal((await read()).value, 2);
  }));

Deno.test("with no -wal file, a write that creates one is seen", () =>
  withKvFile(async (path) => {
    await inOtherProcess(path, `await kv.set(["n"], 0)`);
    const sentinel = new FileChangeSentinel(path);
    // The last connection closed: SQLite removed the log, the database holds everything.
    await assert.rejects(() => Deno.stat(`${path}-wal`), Deno.errors.NotFound);
    await verify(sentinel, () => Promise.resolve());
    await inOtherProcess(path, `await kv.set(["n"], 1)`);
    assert.equal(sentinel.unchanged(), false);
  }, false));

Deno.test("a relative path watches the same files as the absolute one", () =>
  withKvFile(async (path, kv) => {
    const absolute = new FileChangeSentinel(path);
    const relativeTo = new FileChangeSentinel(relative(Deno.cwd(), path));
    assert.equal(relativeTo.observe()?.text, absolute.observe()?.text);
    await verify(relativeTo, () => kv!.get(["n"]));
    await inOtherProcess(path, `await kv.set(["n"], 1)`);
    assert.equal(relativeTo.unchanged(), false);
  }));

Deno.test("a sentinel on a path with no file (a KV Connect URL) never says unchanged", () => {
  const sentinel = new FileChangeSentinel("http://127.0.0.1:4512");
  assert.equal(sentinel.observe(), undefined);
  sentinel.verified(sentinel.observe(), Date.now() + 60_000);
  assert.equal(sentinel.unchanged(), false);
});

Deno.test("asks within one turn share one stat; a write is seen by the first ask of the next turn", () =>
  withKvFile(async (path, kv) => {
    const sentinel = new FileChangeSentinel(path);
    await verify(sentinel, () => kv!.get(["n"]));
    await new Promise((resolve) => setTimeout(resolve, 0)); // a fresh turn
    const statSync = Deno.statSync;
    let stats = 0;
    Deno.statSync = (file) => {
      stats++;
      return statSync(file);
    };
    try {
      assert.deepEqual([sentinel.unchanged(), sentinel.unchanged(), sentinel.unchanged()], [
        true,
        true,
        true,
      ]);
      assert.equal(stats, 1, "one stat for the turn");
      // A write that ends inside this turn was after every request this turn serves arrived.
      const script = `const kv = await Deno.openKv(${
        JSON.stringify(path)
      }); await kv.set(["n"], 1); kv.close();`;
      const output = new Deno.Command(Deno.execPath(), {
        args: ["eval", "--unstable-kv", script],
        stdout: "null",
        stderr: "piped",
      }).outputSync();
      assert.ok(output.success, new TextDecoder().decode(output.stderr));
      assert.equal(sentinel.unchanged(), true, "the turn's shared observation");
      await Promise.resolve();
      assert.equal(sentinel.unchanged(), false, "the next turn's first ask missed the write");
      assert.equal(stats, 2);
    } finally {
      Deno.statSync = statSync;
    }
  }));
