import assert from "node:assert/strict";
import type { Account, Group } from "../config/types.ts";
import { healthChecksFor } from "./check_schedule.ts";

const account = (id: string, extra: Partial<Account> = {}): Account => ({
  id,
  platform: "openai",
  passthrough: false,
  baseUrl: "http://x/v1",
  apiKey: "k",
  priority: 0,
  ...extra,
});

Deno.test("healthChecksFor: the account's own setting, else the first group's listing it", () => {
  const groups: Group[] = [
    { id: "plain", accounts: ["a", "b"] },
    { id: "checked", accounts: ["b", "c"], healthChecks: { everySeconds: 900 } },
    { id: "later", accounts: ["c"], healthChecks: { everySeconds: 60 } },
  ];
  const own = { everySeconds: 30, recover: false };
  const cases: [Account, number | undefined][] = [
    [account("a"), undefined],
    [account("b"), 900],
    [account("c"), 900],
    [account("a", { healthChecks: own }), 30],
    [account("z"), undefined],
  ];
  for (const [subject, every] of cases) {
    assert.equal(healthChecksFor(subject, groups)?.everySeconds, every, subject.id);
  }
});
