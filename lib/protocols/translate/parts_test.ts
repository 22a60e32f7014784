import assert from "node:assert/strict";
import { codexRequest } from "../codex/request.ts";
import { decodeResponsesRequest } from "../responses/decode_request.ts";
import { Drops, TranslationError } from "./ir.ts";
import { requestBody, withMessages } from "./parts.ts";

const NOT_OBJECTS: unknown[] = [null, undefined, [], [{ model: "m" }], "{}", 3, true];

Deno.test("a request body that is not a JSON object is one 400 on every path that reads one", () => {
  const readers: [name: string, read: (body: unknown) => unknown][] = [
    ["requestBody", requestBody],
    ["withMessages", withMessages],
    ["decodeResponsesRequest", (body) => decodeResponsesRequest(body, new Drops())],
    ["codexRequest", (body) => {
      const result = codexRequest(body);
      if (!result.ok) throw result.error;
      return result;
    }],
  ];
  for (const [name, read] of readers) {
    for (const body of NOT_OBJECTS) {
      assert.throws(
        () => read(body),
        (error: unknown) =>
          error instanceof TranslationError && error.field === "body" && error.status === 400 &&
          error.message === "the request body must be a JSON object",
        `${name}(${JSON.stringify(body)})`,
      );
    }
  }
});

Deno.test("requestBody passes an object through; withMessages wants a messages array", () => {
  const body = { model: "m", messages: [] };
  assert.equal(requestBody(body), body);
  assert.deepEqual(withMessages(body), { body, messages: [] });
  const table: [body: unknown, field: string][] = [
    [{ model: "m" }, "messages"],
    [{ messages: "hi" }, "messages"],
    [{ messages: {} }, "messages"],
  ];
  for (const [input, field] of table) {
    assert.throws(
      () => withMessages(input),
      (error: unknown) => error instanceof TranslationError && error.field === field,
      JSON.stringify(input),
    );
  }
});
