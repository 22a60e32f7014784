/** Loopback addresses and peers, table-tested. */

import assert from "node:assert/strict";
import { isLoopback, peerAddress } from "./loopback.ts";

Deno.test("isLoopback: 127/8, ::1 and their spellings; anything else is not", () => {
  const cases: [string | undefined, boolean][] = [
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.1", false],
    ["128.0.0.1", false],
    ["127.0.0.1.example.com", false],
    ["::ffff:10.0.0.1", false],
    ["", false],
    [undefined, false],
  ];
  for (const [host, expected] of cases) assert.equal(isLoopback(host), expected, String(host));
});

Deno.test("peerAddress: a TCP peer's hostname; none for a Unix socket or no info", () => {
  assert.equal(
    peerAddress({ remoteAddr: { transport: "tcp", hostname: "10.1.2.3", port: 5 } }),
    "10.1.2.3",
  );
  assert.equal(peerAddress({ remoteAddr: { transport: "unix", path: "/tmp/s" } }), undefined);
  assert.equal(peerAddress(undefined), undefined);
});
