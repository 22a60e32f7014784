import assert from "node:assert/strict";
import {
  bucketQuantile,
  emptyMinute,
  mergeMinute,
  minuteOf,
  MinuteSeries,
  SERIES_MINUTES,
  seriesView,
  TTFB_BOUNDS_MS,
  ttfbBucket,
} from "./minute_series.ts";

Deno.test("ttfbBucket puts a time in the first bucket whose bound holds it", () => {
  const rows: [number, number][] = [[0, 0], [5, 0], [5.1, 1], [99, 4], [100, 4], [60_000, 12], [
    60_001,
    13,
  ]];
  for (const [ms, bucket] of rows) assert.equal(ttfbBucket(ms), bucket, `${ms} ms`);
});

Deno.test("bucketQuantile interpolates inside the bucket and is null with no counts", () => {
  const counts = (entries: Record<number, number>) =>
    [...TTFB_BOUNDS_MS, Infinity].map((_, index) => entries[index] ?? 0);
  const rows: [Record<number, number>, number, number | null][] = [
    [{}, 0.5, null],
    [{ 4: 10 }, 0.5, 75], // all in (50, 100]: the median is halfway
    [{ 0: 1 }, 0.5, 2.5],
    [{ 0: 9, 7: 1 }, 0.5, 2.8], // rank 5 of 9 in [0, 5]
    [{ 0: 9, 7: 1 }, 0.99, 950], // rank 9.9: 0.9 of the way into (500, 1000]
    [{ 13: 4 }, 0.9, 60_000], // the open bucket reads as its lower bound
  ];
  for (const [entries, q, expected] of rows) {
    assert.equal(bucketQuantile(counts(entries), q), expected, JSON.stringify([entries, q]));
  }
});

Deno.test("seriesView: an hour of minutes, oldest first, empty minutes as zeros", () => {
  const now = Date.UTC(2026, 0, 1, 12, 30, 15);
  const minute = emptyMinute();
  minute.requests = 3;
  minute.failovers = 1;
  minute.tokens = { "oa-1": 12 };
  minute.ttfb[ttfbBucket(30)] = 3;
  const view = seriesView(new Map([[minuteOf(now) - 60_000, minute]]), now);
  assert.equal(view.requests.length, SERIES_MINUTES);
  assert.equal(view.from, new Date(minuteOf(now) - 59 * 60_000).toISOString());
  assert.equal(view.requests.at(-2), 3);
  assert.equal(view.requests.at(-1), 0);
  assert.equal(view.failovers.at(-2), 1);
  assert.deepEqual(Object.keys(view.tokens), ["oa-1"]);
  assert.equal(view.tokens["oa-1"].at(-2), 12);
  assert.equal(view.ttfb.p50.at(-2), 37.5);
  assert.equal(view.ttfb.p50.at(-1), null);
  // Cost: a minute written before cost was kept has none, and merges as nothing.
  const priced = emptyMinute();
  priced.cost = { "oa-1": 4025 };
  const older = emptyMinute();
  delete older.cost;
  mergeMinute(priced, older);
  const costed = seriesView(
    new Map([[minuteOf(now), priced], [minuteOf(now) - 60_000, older]]),
    now,
  );
  assert.deepEqual(Object.keys(costed.cost), ["oa-1"]);
  assert.equal(costed.cost["oa-1"].at(-1), 4025);
  assert.equal(costed.cost["oa-1"].at(-2), 0);
  assert.deepEqual(view.cost, {});
});

Deno.test("two processes on one KV: the view adds up both, written or not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-series-" });
  const kv = await Deno.openKv(`${dir}/state.kv`);
  const one = new MinuteSeries(kv, 60_000);
  const two = new MinuteSeries(kv, 60_000);
  try {
    const now = Date.now();
    one.request({ status: 200, ttfbMs: 20, account: "a", tokens: 10, costMicros: 4025 }, now);
    one.failovers(2, now);
    two.request({ status: 502, account: "b", tokens: 0 }, now);
    two.request({ status: 200, account: "a", tokens: 5, costMicros: 1000 }, now);
    await two.flush();
    const seen = await one.view(now);
    assert.equal(seen.requests.at(-1), 3);
    assert.equal(seen.errors.at(-1), 1);
    assert.equal(seen.failovers.at(-1), 2);
    assert.deepEqual(seen.tokens, { a: [...Array(SERIES_MINUTES - 1).fill(0), 15] });
    assert.deepEqual(seen.cost, { a: [...Array(SERIES_MINUTES - 1).fill(0), 5025] });
    // The other process sees one's minute only once it is written.
    assert.equal((await two.view(now)).requests.at(-1), 2);
    await one.flush();
    assert.equal((await two.view(now)).requests.at(-1), 3);
  } finally {
    await one.close();
    await two.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
