import assert from "node:assert/strict";
import { retryDelay, RetryPause } from "./retry_pause.ts";

Deno.test("retryDelay: attempt n waits the n-th delay, the last one repeats", () => {
  const delays = [100, 250, 500];
  const table: [attempt: number, ms: number][] = [[0, 100], [1, 250], [2, 500], [3, 500], [
    50,
    500,
  ]];
  for (const [attempt, ms] of table) assert.equal(retryDelay(delays, attempt), ms, `${attempt}`);
  assert.equal(retryDelay([7], 0), 7);
  assert.equal(retryDelay([7], 9), 7);
});

Deno.test("RetryPause: a pause lasts its delay", async () => {
  const pause = new RetryPause([20]);
  const started = performance.now();
  await pause.after(0);
  assert(performance.now() - started >= 15);
});

Deno.test("RetryPause: wake ends a long pause at once and clears its timer", async () => {
  const pause = new RetryPause([60_000]);
  const started = performance.now();
  const waited = pause.after(3);
  pause.wake();
  await waited;
  assert(performance.now() - started < 1_000);
  pause.wake(); // Nothing under way: nothing happens.
});
