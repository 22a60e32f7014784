import assert from "node:assert/strict";
import { decodedSegments, pathSegments } from "./path_patterns.ts";

Deno.test("a path without % gets the segments decoding would give", () => {
  const paths = [
    "",
    "/",
    "//",
    "/v1",
    "/v1/",
    "/v1/chat/completions",
    "/v1//chat",
    "/v1/responses/resp_1.2:3@a+b~c-d",
    "/v1/models/gpt-4o",
    "/v1/a\\b",
    "/v1/a\u0000b",
    "/v1/a\tb",
    "/v1/a\u007fb",
    "/v1/a\u0085b",
    "/v1/é/\uD800",
    "/v1/./..",
    "v1/relative",
    "/v1/files/f1/content",
  ];
  for (const path of paths) assert.deepEqual(pathSegments(path), decodedSegments(path), path);
});

Deno.test("a path with % is decoded, and refused when a segment decodes to a separator", () => {
  const cases: [string, string[] | null][] = [
    ["/v1/models/gpt%2D4o", ["v1", "models", "gpt-4o"]],
    ["/v1/files%2Fx", null],
    ["/v1/a%5Cb", null],
    ["/v1/a%25b", null],
    ["/v1/a%00b", null],
    ["/v1/a%zz", null],
    ["/v1/%C3%A9", ["v1", "é"]],
  ];
  for (const [path, segments] of cases) assert.deepEqual(pathSegments(path), segments, path);
});
