import assert from "node:assert/strict";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { UsageRecorder, utcDay } from "./recorder.ts";

Deno.test("utcDay names the same day as toISOString, around midnights and back again", () => {
  const midnight = Date.UTC(2026, 10, 25);
  const times = [
    midnight,
    midnight - 1,
    midnight + 1,
    midnight + 86_399_999,
    midnight + 86_400_000,
    midnight - 1,
    0,
    -1,
    Date.UTC(1969, 11, 31, 23, 59),
    Date.UTC(2024, 1, 29, 12),
    midnight + 43_200_000.5,
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  ];
  for (const at of times) {
    assert.equal(utcDay(at), new Date(at).toISOString().slice(0, 10), `${at}`);
  }
  assert.throws(() => utcDay(NaN), RangeError);
});

/** `kv` whose next `late` commits land but answer only after `delayMs` (a remote KV past its deadline). */
function lateCommits(kv: Deno.Kv, delayMs: number) {
  const control = { late: 0 };
  const proxy = new Proxy(kv, {
    get(target, property) {
      if (property === "atomic") {
        return () => {
          const op = target.atomic();
          const commit = op.commit.bind(op);
          op.commit = async () => {
            const result = await commit();
            if (control.late > 0) {
              control.late--;
              await new Promise((resolve) => setTimeout(resolve, delayMs));
            }
            return result;
          };
          return op;
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: proxy, control };
}

Deno.test("usage recorder: a batch that landed after its deadline is not added twice by the retry", async () => {
  await using kv = await Deno.openKv(":memory:");
  const { kv: slow, control } = lateCommits(kv, 60);
  const reach = new KvReachability({ deadlineMs: 20 });
  const usage = new UsageRecorder(slow, 60_000, reach);
  const at = Date.UTC(2026, 11, 6, 12);
  const record = (key: string) =>
    usage.record({
      key,
      account: "oa",
      model: "m",
      tokens: { input: 5, output: 7, cached: 0 },
      at,
    });
  record("k");
  record("k");
  control.late = 1;
  await assert.rejects(usage.flush(), KvUnreachable); // it landed, but nobody could tell
  assert.equal(reach.reachable, false);
  record("k"); // newer usage waits behind the unconfirmed batch
  assert.equal(await usage.keyTokens("k", utcDay(at)), 3 * 12 + 2 * 12); // KV's 24 + 36 held here
  await new Promise((resolve) => setTimeout(resolve, 60)); // the late answer arrives
  await usage.flush(); // the same batch again: its mark says it landed
  assert.equal(usage.unwritten, 0);
  const [row] = await usage.query(utcDay(at), utcDay(at), "key");
  assert.deepEqual(row, { id: "k", input: 15, output: 21, cached: 0, requests: 3, cost: 0 });
  assert.equal(await usage.keyTokens("k", utcDay(at)), 36);
  await usage.close();
});
