/** Sealed secrets: bound to the secret, the purpose and the record id. */

import assert from "node:assert/strict";
import { SecretBox } from "./secret_box.ts";

Deno.test("sealed secrets open only with the same secret and the same record id", async () => {
  const box = await SecretBox.fromSecret("one-secret-long-enough-for-tests", "account-secrets");
  const other = await SecretBox.fromSecret("another-secret-long-enough-too!!", "account-secrets");
  const sealed = await box.seal("sk-live-123", "acct-1");
  assert.ok(!JSON.stringify(sealed).includes("sk-live-123"));
  assert.equal(await box.open(sealed, "acct-1"), "sk-live-123");
  await assert.rejects(() => box.open(sealed, "acct-2"));
  await assert.rejects(() => other.open(sealed, "acct-1"));
  await assert.rejects(() => SecretBox.fromSecret("short", "account-secrets"));
  const tokens = await SecretBox.fromSecret("one-secret-long-enough-for-tests", "oauth-tokens");
  await assert.rejects(() => tokens.open(sealed, "acct-1"), "another purpose derives another key");
});
