/**
 * The management API behind the dashboard's console, over real sockets:
 * editing a subscription account, disabling and enabling accounts, updating a
 * key's group and limits, and clearing a setting with `null`.
 */

import assert from "node:assert/strict";
import { json, startHarness } from "./support/ops_harness.ts";

Deno.test("PUT on a subscription account changes its settings and keeps it a subscription account", async () => {
  const h = await startHarness({ config: {} });
  try {
    const created = await h.admin("POST", "/admin/accounts", {
      id: "codex-1",
      platform: "openai",
      oauth: { accountId: "acct-1" },
    });
    assert.equal(created.status, 201, await created.clone().text());
    await created.body?.cancel();
    const updated = await h.admin("PUT", "/admin/accounts/codex-1", { priority: 5 });
    const row = await json(updated);
    assert.equal(updated.status, 200, JSON.stringify(row));
    assert.equal(row.priority, 5);
    assert.equal(row.baseUrl, "https://chatgpt.com/backend-api/codex");
    assert.equal(h.gateway.ops.directory.account("codex-1")?.account.oauth?.accountId, "acct-1");
  } finally {
    await h.close();
  }
});
