import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DigestLookup, sha256Hex } from "./digest.ts";

Deno.test("sha256Hex is the hex SHA-256 of the string's UTF-8 bytes", () => {
  assert.equal(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  for (const text of ["", "sy-0123456789abcdef", "clé ✓ \u{1F511}", "x".repeat(1000)]) {
    assert.equal(sha256Hex(text), createHash("sha256").update(text, "utf8").digest("hex"), text);
  }
});

Deno.test("DigestLookup finds what a lookup by digest finds, also after the table changes", () => {
  const table = new Map([[sha256Hex("k1"), "one"], [sha256Hex("k2"), "two"]]);
  const memo = new DigestLookup(10);
  const find = (digest: string) => table.get(digest);
  const steps: [string, string | undefined][] = [
    ["k1", "one"],
    ["k1", "one"],
    ["nope", undefined],
    ["k2", "two"],
    ["", undefined],
  ];
  for (const [secret, expected] of steps) assert.equal(memo.lookup(secret, find), expected, secret);
  assert.equal(memo.size, 2, "only secrets that found a record are remembered");

  table.delete(sha256Hex("k1")); // revoked
  assert.equal(memo.lookup("k1", find), undefined);
  table.set(sha256Hex("k3"), "three"); // created
  assert.equal(memo.lookup("k3", find), "three");
  table.set(sha256Hex("k2"), "two, changed");
  assert.equal(memo.lookup("k2", find), "two, changed");
});

Deno.test("DigestLookup stays within its limit, dropping the oldest secret", () => {
  const memo = new DigestLookup(3);
  const digests: string[] = [];
  const find = (digest: string) => {
    digests.push(digest);
    return "found";
  };
  for (let i = 0; i < 50; i++) memo.lookup(`key-${i}`, find);
  assert.equal(memo.size, 3);
  assert.deepEqual(digests, Array.from({ length: 50 }, (_, i) => sha256Hex(`key-${i}`)));
  // The newest are still remembered and still give the right digest; the oldest come back too.
  for (const secret of ["key-49", "key-0", "key-47"]) {
    digests.length = 0;
    memo.lookup(secret, find);
    assert.deepEqual(digests, [sha256Hex(secret)]);
  }
  assert.equal(memo.size, 3);
});
