/** The sign-in throttle's decisions, table-tested on a fake clock. */

import assert from "node:assert/strict";
import { SignInThrottle } from "./sign_in_throttle.ts";

const settings = { freeFailures: 3, windowMs: 60_000, maxWaitMs: 8_000, maxAddresses: 2 };

Deno.test("sign-in throttle: free failures, then doubling waits up to the cap", () => {
  const throttle = new SignInThrottle(settings);
  const steps: [failAt: number, waitAfter: number][] = [
    [0, 0],
    [1, 0],
    [2, 1], // the third failure: 1 s
    [3_000, 2],
    [6_000, 4],
    [11_000, 8],
    [20_000, 8], // capped
  ];
  for (const [at, wait] of steps) {
    throttle.failed("10.0.0.1", at);
    assert.equal(throttle.waitSeconds("10.0.0.1", at), wait, `after the failure at ${at}`);
  }
  assert.equal(throttle.waitSeconds("10.0.0.2", 20_000), 0, "other addresses are not slowed");
  assert.equal(throttle.waitSeconds("10.0.0.1", 28_000), 0, "the wait passes");
});

Deno.test("sign-in throttle: a success or a quiet window starts afresh; few addresses kept", () => {
  const throttle = new SignInThrottle(settings);
  throttle.failed("a", 0);
  throttle.failed("a", 1);
  throttle.succeeded("a");
  assert.equal(throttle.failed("a", 2), 1);
  assert.equal(throttle.failed("a", 70_000), 1, "a window later, the count starts again");
  throttle.failed("b", 70_001);
  throttle.failed("c", 70_002);
  for (let i = 0; i < 3; i++) throttle.failed("c", 70_003);
  assert.ok(throttle.waitSeconds("c", 70_003) > 0);
  assert.equal(throttle.failed("a", 70_004), 1, "the oldest address was dropped");
});
