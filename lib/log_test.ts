import assert from "node:assert/strict";
import { getJsonLinesFormatter, type LogRecord } from "@logtape/logtape";
import { jsonLine } from "./log.ts";

const logtape = getJsonLinesFormatter({ properties: "flatten", categorySeparator: "." });

function record(
  category: string[],
  rawMessage: string,
  properties: Record<string, unknown>,
  level: LogRecord["level"] = "info",
): LogRecord {
  return {
    category,
    level,
    message: [rawMessage],
    rawMessage,
    timestamp: 1_700_000_000_123,
    properties,
  };
}

Deno.test("the JSON line is the same text as logtape's formatter writes", () => {
  const cases: LogRecord[] = [
    record(["switchyard", "request"], "request", {
      key: "alice",
      method: "POST",
      path: "/v1/chat/completions",
      status: 200,
      attempts: [{ account: "a1", outcome: "success", status: 200, startedAt: 1, ms: 12.5 }],
      ms: 40.25,
      ttfbMs: undefined,
      tokens: { input: 3, output: 4, cached: 0 },
      model: 'gpt\u0085\u007f\u009f\u00a0é\n"x"',
    }),
    record(
      ["switchyard", "translate"],
      "fields left out in translation",
      { dropped: "a,b" },
      "debug",
    ),
    record(["switchyard", "x"], "warned", { message: "overrides", logger: "too" }, "warning"),
    record(["switchyard", "x"], "no properties", {}, "error"),
    record(["switchyard", "x"], "only undefined", { gone: undefined }),
    record(["switchyard", "x"], "its own JSON", { toJSON: () => ({ a: 1 }), b: 2 }),
    { ...record(["switchyard", "x"], "a later time", { n: 1 }), timestamp: 1_700_000_000_124 },
    // Not ours, a template, or data a plain stringify cannot take: logtape's own path.
    record(["logtape", "meta"], "meta", { error: new Error("boom") }, "warning"),
    record(["switchyard", "x"], "a {value}", { value: 1 }),
    record(["switchyard", "x"], "big", { n: 10n }),
  ];
  for (const entry of cases) {
    assert.equal(jsonLine(entry), logtape(entry), entry.rawMessage as string);
  }
});
