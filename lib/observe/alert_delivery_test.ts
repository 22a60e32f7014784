import assert from "node:assert/strict";
import { hmacSha256Signature } from "../crypto/digest.ts";
import { slackText, webhookBody } from "./alert_delivery.ts";

Deno.test("hmacSha256Signature matches RFC 4231 test case 2", async () => {
  assert.equal(
    await hmacSha256Signature("Jefe", "what do ya want for nothing?"),
    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("webhookBody: the payload as JSON, or Slack's text", () => {
  const payload = {
    event: "group.exhausted" as const,
    at: "2026-01-01T00:00:00.000Z",
    group: "team",
    detail: { message: "every account is cooling" },
  };
  assert.deepEqual(JSON.parse(webhookBody("json", payload)), payload);
  assert.deepEqual(JSON.parse(webhookBody("slack", payload)), {
    text: ":rotating_light: *group.exhausted* group `team`: every account is cooling",
  });
  assert.equal(
    slackText({ ...payload, group: undefined, account: "a", key: "k" }),
    ":rotating_light: *group.exhausted* account `a`, key `k`: every account is cooling",
  );
});
