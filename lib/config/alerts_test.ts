import assert from "node:assert/strict";
import { publicWebhook, readAlerts } from "./alerts.ts";
import { ConfigError } from "./errors.ts";
import { Fields } from "./fields.ts";

const read = (value: unknown, previous?: Parameters<typeof readAlerts>[1]) =>
  readAlerts(Fields.of(value, "alerts"), previous);

Deno.test("readAlerts fills defaults and keeps stored URL and secret for an id alone", () => {
  const first = read({ webhooks: [{ url: "https://hooks.example/T/B/x", secret: "s3cret" }] });
  assert.deepEqual(first, {
    webhooks: [{
      id: "webhook-1",
      url: "https://hooks.example/T/B/x",
      format: "json",
      secret: "s3cret",
    }],
    quotaPercent: 90,
  });
  const kept = read({ webhooks: [{ id: "webhook-1", format: "slack" }], quotaPercent: 75 }, first);
  assert.equal(kept.webhooks[0].url, "https://hooks.example/T/B/x");
  assert.equal(kept.webhooks[0].secret, "s3cret");
  assert.equal(kept.webhooks[0].format, "slack");
  assert.equal(kept.quotaPercent, 75);
  assert.deepEqual(publicWebhook(kept.webhooks[0]), {
    id: "webhook-1",
    url: "https://hooks.example/…",
    format: "slack",
    hasSecret: true,
  });
});

Deno.test("readAlerts names the bad field", () => {
  const cases: [unknown, string][] = [
    [{ webhooks: [{ url: "nope" }] }, "alerts.webhooks[0].url"],
    [{ webhooks: [{}] }, "alerts.webhooks[0].url"],
    [
      { webhooks: [{ url: "http://x", events: ["account.quota", "x"] }] },
      "alerts.webhooks[0].events[1]",
    ],
    [{ webhooks: [{ url: "http://x", format: "xml" }] }, "alerts.webhooks[0].format"],
    [
      { webhooks: [{ url: "http://x", id: "a" }, { url: "http://y", id: "a" }] },
      "alerts.webhooks[1].id",
    ],
    [{ quotaPercent: 0 }, "alerts.quotaPercent"],
    [{ hooks: [] }, "alerts.hooks"],
  ];
  for (const [value, field] of cases) {
    assert.throws(
      () => read(value),
      (error) => error instanceof ConfigError && error.field === field,
    );
  }
});
