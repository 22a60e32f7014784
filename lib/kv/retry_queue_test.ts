import assert from "node:assert/strict";
import { KvReachability } from "./reachability.ts";
import { RetryQueue } from "./retry_queue.ts";

/** A store the test switches off and on; `writes` are the values it took, per id. */
function store() {
  const state = { up: true, writes: new Map<string, string>() };
  const write = (id: string, value: string) => () =>
    state.up
      ? Promise.resolve(void state.writes.set(id, value))
      : Promise.reject(new Error("error sending request: connection refused"));
  return { state, write };
}

Deno.test("retry queue: a write the store did not take is kept, the newest per id, and lands when it is back", async () => {
  const reach = new KvReachability({ deadlineMs: 1_000 });
  const { state, write } = store();
  const queue = new RetryQueue(reach, "test write", { everyMs: 60_000 });
  state.up = false;
  await queue.put("a", write("a", "1")); // resolves: kept, not thrown
  await queue.put("a", write("a", "2"));
  await queue.put("b", write("b", "1"));
  assert.equal(queue.size, 2);
  assert.equal(reach.reachable, false);
  state.up = true;
  reach.answered(); // the store is back: the queue drains
  await queue.settled();
  assert.deepEqual([...state.writes], [["a", "2"], ["b", "1"]]);
  assert.equal(queue.size, 0);
  await queue.close();
});

Deno.test("retry queue: a newer write that lands drops the older one kept for the same id", async () => {
  const reach = new KvReachability({ deadlineMs: 1_000 });
  const { state, write } = store();
  const queue = new RetryQueue(reach, "test write", { everyMs: 60_000 });
  state.up = false;
  await queue.put("a", write("a", "old"));
  state.up = true;
  await queue.put("a", write("a", "new"));
  await queue.drain();
  assert.deepEqual([...state.writes], [["a", "new"]]);
  await queue.close();
});

Deno.test("retry queue: memory is bounded; the oldest kept write goes first", async () => {
  const reach = new KvReachability({ deadlineMs: 1_000 });
  const { state, write } = store();
  const queue = new RetryQueue(reach, "test write", { limit: 2, everyMs: 60_000 });
  state.up = false;
  for (const id of ["a", "b", "c"]) await queue.put(id, write(id, id));
  assert.equal(queue.size, 2);
  state.up = true;
  await queue.close(); // one last try at shutdown
  assert.deepEqual([...state.writes.keys()], ["b", "c"]);
});
