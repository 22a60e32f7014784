/**
 * The pure decision: which method + path a client key may reach, with and
 * without a group's `allowPaths`; the path patterns themselves; and which
 * requests create or refer to stored responses.
 */

import assert from "node:assert/strict";
import { pathPatternProblem } from "../config/path_patterns.ts";
import {
  bodyKind,
  createsResponse,
  type PathAccess,
  pathAccess,
  previousResponseId,
  referenceAccess,
} from "./inference_paths.ts";

const OPEN: PathAccess = { kind: "open" };
const DENIED: PathAccess = { kind: "denied" };
const owner = (responseId: string): PathAccess => ({ kind: "owner", responseId });
const widened = (responseId?: string): PathAccess =>
  responseId === undefined ? { kind: "widened" } : { kind: "widened", responseId };

Deno.test("the default table: inference endpoints by method, nothing else", () => {
  const rows: [method: string, path: string, expected: PathAccess][] = [
    // Inference endpoints.
    ["POST", "/v1/chat/completions", OPEN],
    ["POST", "/v1/responses", OPEN],
    ["POST", "/v1/responses/compact", OPEN],
    ["POST", "/v1/responses/input_tokens", OPEN],
    ["POST", "/v1/completions", OPEN],
    ["POST", "/v1/embeddings", OPEN],
    ["POST", "/v1/moderations", OPEN],
    ["GET", "/v1/models", OPEN],
    ["GET", "/v1/models/gpt-4.1", OPEN],
    ["GET", "/v1/models/ft:gpt-4o-mini:acme::abc123", OPEN],
    ["GET", "/v1/models/ft%3Agpt-4o-mini%3Aacme", OPEN], // how the SDKs encode ':'
    ["POST", "/v1/audio/transcriptions", OPEN],
    ["POST", "/v1/audio/translations", OPEN],
    ["POST", "/v1/audio/speech", OPEN],
    ["POST", "/v1/images/generations", OPEN],
    ["POST", "/v1/images/edits", OPEN],
    ["POST", "/v1/images/variations", OPEN],
    ["POST", "/v1/messages", OPEN],
    ["POST", "/v1/messages/count_tokens", OPEN],
    // A stored response: its creator only.
    ["GET", "/v1/responses/resp_abc", owner("resp_abc")],
    ["DELETE", "/v1/responses/resp_abc", owner("resp_abc")],
    ["POST", "/v1/responses/resp_abc/cancel", owner("resp_abc")],
    ["GET", "/v1/responses/resp_abc/input_items", owner("resp_abc")],
    ["GET", "/v1/responses/compact", owner("compact")], // not a retrieve anyone owns
    // The account's own data, whatever the method.
    ["GET", "/v1/files", DENIED],
    ["POST", "/v1/files", DENIED],
    ["GET", "/v1/files/file-1/content", DENIED],
    ["DELETE", "/v1/files/file-1", DENIED],
    ["GET", "/v1/batches", DENIED],
    ["POST", "/v1/batches/batch_1/cancel", DENIED],
    ["GET", "/v1/fine_tuning/jobs", DENIED],
    ["POST", "/v1/fine_tuning/jobs", DENIED],
    ["GET", "/v1/vector_stores", DENIED],
    ["POST", "/v1/uploads", DENIED],
    ["GET", "/v1/conversations/conv_1", DENIED],
    ["POST", "/v1/realtime/client_secrets", DENIED],
    ["GET", "/v1/organization/usage/completions", DENIED],
    ["POST", "/v1/messages/batches", DENIED],
    ["GET", "/v1/messages/batches/msgbatch_1/results", DENIED],
    // Right path, wrong method.
    ["DELETE", "/v1/models/ft:gpt-4o-mini:acme::abc123", DENIED],
    ["POST", "/v1/models", DENIED],
    ["GET", "/v1/chat/completions", DENIED], // lists stored chat completions
    ["GET", "/v1/chat/completions/chatcmpl-1", DENIED],
    ["GET", "/v1/chat/completions/chatcmpl-1/messages", DENIED],
    ["DELETE", "/v1/chat/completions/chatcmpl-1", DENIED],
    ["GET", "/v1/responses", DENIED],
    ["GET", "/v1/messages", DENIED],
    ["OPTIONS", "/v1/chat/completions", DENIED],
    // Shapes an upstream could read as another path.
    ["GET", "/v1/models/x%2F..%2F..%2Ffiles", DENIED],
    ["GET", "/v1/models/x%5Cfiles", DENIED],
    ["GET", "/v1/models/x%252Ffiles", DENIED],
    ["GET", "/v1/models/%ZZ", DENIED],
    ["GET", "/v1/models/", DENIED],
    ["POST", "/v1/chat/completions/", DENIED],
    ["POST", "/v1//chat/completions", DENIED],
    ["POST", "/v1/chat/completions;x", DENIED],
    ["GET", "/v1/responses/resp_1%2Fcancel", DENIED],
    ["GET", "/v1/models/a/b", DENIED],
    // Segments are compared as the upstream decodes them.
    ["POST", "/v1/chat/%63ompletions", OPEN],
  ];
  for (const [method, path, expected] of rows) {
    assert.deepEqual(pathAccess(method, path), expected, `${method} ${path}`);
  }
});

Deno.test("allowPaths widens, for every method; a widened stored response needs no owner", () => {
  const rows: [allowPaths: string[], method: string, path: string, expected: PathAccess][] = [
    [["/v1/files"], "GET", "/v1/files", widened()],
    [["/v1/files"], "POST", "/v1/files", widened()],
    [["/v1/files"], "GET", "/v1/files/file-1", DENIED],
    [["/v1/files/*"], "GET", "/v1/files", DENIED],
    [["/v1/files/*"], "DELETE", "/v1/files/file-1", widened()],
    [["/v1/files/*"], "GET", "/v1/files/file-1/content", widened()],
    [["/v1/files", "/v1/files/*"], "GET", "/v1/files", widened()],
    [["/v1/files/*"], "GET", "/v1/files/x%2F..%2F..%2Fbatches", DENIED],
    [["/v1/files/*"], "GET", "/v1/filesystem", DENIED],
    [["/v1/models/*"], "DELETE", "/v1/models/ft:x", widened()],
    [["/v1/*"], "GET", "/v1/batches", widened()],
    [["/v1/*"], "POST", "/v1/chat/completions", OPEN],
    [["/v1/responses/*"], "GET", "/v1/responses/resp_abc", widened("resp_abc")],
    [["/v1/responses/*"], "POST", "/v1/responses/resp_abc/cancel", widened("resp_abc")],
    [["/v1/responses/*"], "POST", "/v1/responses", OPEN],
    [["/v1/batches"], "GET", "/v1/responses/resp_abc", owner("resp_abc")],
  ];
  for (const [allowPaths, method, path, expected] of rows) {
    assert.deepEqual(
      pathAccess(method, path, allowPaths),
      expected,
      `${method} ${path} with ${allowPaths}`,
    );
  }
});

Deno.test("path patterns: exact paths or a trailing /*, plain segments only", () => {
  for (const good of ["/v1/files", "/v1/files/*", "/v1/*", "/v1/fine_tuning/jobs/*"]) {
    assert.equal(pathPatternProblem(good), undefined, good);
  }
  const bad: [string, RegExp][] = [
    ["files", /start with "\/v1\/"/],
    ["/v2/files", /start with "\/v1\/"/],
    ["/v1/", /segments/],
    ["/v1/files/", /segments/],
    ["/v1//files", /segments/],
    ["/v1/files/*/content", /last segment/],
    ["/v1/files*", /segments/],
    ["/v1/../admin", /segments/],
    ["/v1/files%2F", /segments/],
    ["/v1/files?purpose=x", /segments/],
  ];
  for (const [pattern, problem] of bad) {
    assert.match(pathPatternProblem(pattern) ?? "(valid)", problem, pattern);
  }
});

Deno.test("how a body is read: JSON on inference endpoints, a form when sent as one", () => {
  const cases: [method: string, path: string, contentType: string | null, kind: string][] = [
    ["POST", "/v1/chat/completions", "application/json", "json"],
    ["POST", "/v1/chat/completions", null, "json"],
    ["POST", "/v1/chat/completions", "text/plain", "json"],
    ["POST", "/v1/messages", "application/json; charset=utf-8", "json"],
    ["POST", "/v1/audio/transcriptions", "multipart/form-data; boundary=x", "form"],
    ["POST", "/v1/images/edits", "Multipart/Form-Data;boundary=x", "form"],
    ["POST", "/v1/images/edits", "application/json", "json"],
    ["POST", "/v1/responses/resp_1/cancel", null, "maybe-json"],
    ["POST", "/v1/files", "application/json", "maybe-json"],
    ["POST", "/v1/vector_stores", "application/x-www-form-urlencoded", "form"],
  ];
  for (const [method, path, contentType, kind] of cases) {
    assert.equal(bodyKind(method, path, contentType), kind, `${method} ${path} ${contentType}`);
  }
});

Deno.test("which requests create a stored response or refer to one", () => {
  assert.equal(createsResponse("POST", "/v1/responses"), true);
  assert.equal(createsResponse("POST", "/v1/responses/compact"), true);
  assert.equal(createsResponse("POST", "/v1/responses/input_tokens"), false);
  assert.equal(createsResponse("GET", "/v1/responses/resp_1"), false);
  assert.equal(createsResponse("POST", "/v1/chat/completions"), false);

  const withPrevious = { model: "m", previous_response_id: "resp_1", input: "hi" };
  assert.equal(previousResponseId("POST", "/v1/responses", withPrevious), "resp_1");
  assert.equal(previousResponseId("POST", "/v1/responses/compact", withPrevious), "resp_1");
  assert.equal(previousResponseId("POST", "/v1/responses/input_tokens", withPrevious), "resp_1");
  assert.equal(previousResponseId("POST", "/v1/chat/completions", withPrevious), undefined);
  assert.equal(previousResponseId("POST", "/v1/responses", { input: "hi" }), undefined);
  assert.equal(
    previousResponseId("POST", "/v1/responses", { previous_response_id: null }),
    undefined,
  );
  assert.equal(previousResponseId("POST", "/v1/responses", { previous_response_id: 7 }), 7);
  assert.equal(previousResponseId("POST", "/v1/responses", undefined), undefined);

  assert.deepEqual(referenceAccess("resp_1"), owner("resp_1"));
  assert.deepEqual(referenceAccess("resp_1", ["/v1/responses/*"]), widened("resp_1"));
  assert.deepEqual(referenceAccess("../files"), DENIED);
  assert.deepEqual(referenceAccess("resp_1/cancel"), DENIED);
});
