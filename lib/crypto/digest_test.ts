import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256Hex } from "./digest.ts";

Deno.test("sha256Hex is the hex SHA-256 of the string's UTF-8 bytes", () => {
  assert.equal(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  for (const text of ["", "sy-0123456789abcdef", "clé ✓ \u{1F511}", "x".repeat(1000)]) {
    assert.equal(sha256Hex(text), createHash("sha256").update(text, "utf8").digest("hex"), text);
  }
});
