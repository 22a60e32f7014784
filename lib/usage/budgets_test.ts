import assert from "node:assert/strict";
import {
  BUCKET_MS,
  budgetMessage,
  calendarWindow,
  ROLLING_MS,
  rollingState,
  spentBudget,
} from "./budgets.ts";

Deno.test("calendar windows are UTC days, Monday weeks and months, ending at the next one", () => {
  const at = Date.UTC(2026, 11, 6, 19, 30); // a Sunday
  assert.deepEqual(calendarWindow("day", at), { id: "day:2026-12-06", end: Date.UTC(2026, 11, 7) });
  assert.deepEqual(calendarWindow("week", at), {
    id: "week:2026-11-30",
    end: Date.UTC(2026, 11, 7),
  });
  assert.deepEqual(calendarWindow("month", at), { id: "month:2026-12", end: Date.UTC(2027, 0, 1) });
  const monday = Date.UTC(2026, 11, 7);
  assert.equal(calendarWindow("week", monday).id, "week:2026-12-07");
  assert.equal(calendarWindow("day", monday - 1).id, "day:2026-12-06");
  assert.equal(calendarWindow("month", Date.UTC(2028, 1, 29, 23)).end, Date.UTC(2028, 2, 1));
});

Deno.test("a rolling 5h budget resets when enough old buckets leave it", () => {
  const budget = { usd: 2, per: "5h" as const };
  const now = 1_000 * BUCKET_MS + 7;
  const buckets = new Map([
    [940, 5_000_000], // left the window already (the first live bucket is 941)
    [945, 1_000_000],
    [950, 600_000],
    [990, 900_000],
  ]);
  const state = rollingState(budget, buckets, now);
  assert.equal(state.spent, 2_500_000);
  // Without bucket 945 the spend is 1.5 $: under 2 $, so it resets when 945 leaves.
  assert.equal(state.resetsAt, 945 * BUCKET_MS + ROLLING_MS);
  assert.ok(state.resetsAt > now);
  const under = rollingState(budget, new Map([[990, 1_000_000]]), now);
  assert.equal(spentBudget([under]), undefined);
});

Deno.test("the refusing budget is the spent one that resets last; the message names it", () => {
  const now = Date.UTC(2026, 11, 6, 12);
  const day = {
    budget: { usd: 5, per: "day" as const },
    spent: 5_000_000,
    resetsAt: Date.UTC(2026, 11, 7),
  };
  const month = {
    budget: { usd: 50, per: "month" as const },
    spent: 60_000_000,
    resetsAt: Date.UTC(2027, 0, 1),
  };
  const week = {
    budget: { usd: 20, per: "week" as const },
    spent: 1,
    resetsAt: Date.UTC(2026, 11, 7),
  };
  assert.equal(spentBudget([day, week]), day);
  assert.equal(spentBudget([day, month, week]), month);
  assert.equal(spentBudget([week]), undefined);
  const { message, retryAfter } = budgetMessage("key", "ci", day, now);
  assert.equal(retryAfter, 12 * 3600);
  assert.match(message, /key "ci" has spent its daily \(UTC\) budget of \$5 \(\$5\.00 spent\)/);
  assert.match(message, /resets at 2026-12-07T00:00:00\.000Z, retry in 43200s/);
});
