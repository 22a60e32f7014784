import assert from "node:assert/strict";
import { ConfigError } from "./errors.ts";
import { validateConfig } from "./validate.ts";

const base = { accounts: [], groups: [], keys: [] };

Deno.test("websocket settings: read when given, each optional, checked", () => {
  assert.equal(validateConfig(base, () => undefined).websocket, undefined);
  const given = validateConfig(
    { ...base, websocket: { maxMessageBytes: 1024, idleSeconds: 0.5, pingSeconds: 10 } },
    () => undefined,
  );
  assert.deepEqual(given.websocket, { maxMessageBytes: 1024, idleSeconds: 0.5, pingSeconds: 10 });
  const bad: [unknown, RegExp][] = [
    [{ maxMessageBytes: 0 }, /websocket\.maxMessageBytes/],
    [{ maxMessageBytes: 1.5 }, /whole number/],
    [{ idleSeconds: 0 }, /websocket\.idleSeconds/],
    [{ maxConnectionSeconds: "1h" }, /websocket\.maxConnectionSeconds/],
    [{ pingSecs: 5 }, /pingSecs/],
  ];
  for (const [websocket, message] of bad) {
    assert.throws(
      () => validateConfig({ ...base, websocket }, () => undefined),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
      JSON.stringify(websocket),
    );
  }
});
