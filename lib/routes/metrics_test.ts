import assert from "node:assert/strict";
import { sha256Hex } from "../crypto/digest.ts";
import { presentedMetricsToken } from "./metrics.ts";

Deno.test("presentedMetricsToken: which accepted token a request carries", () => {
  const admin = sha256Hex("admin-token");
  const metrics = sha256Hex("metrics-token");
  const rows: [
    authorization: string | null,
    tokens: { admin?: string; metrics?: string },
    want: string | undefined,
  ][] = [
    ["Bearer admin-token", { admin, metrics }, "admin"],
    ["Bearer metrics-token", { admin, metrics }, "metrics"],
    ["Bearer metrics-token", { metrics }, "metrics"],
    // Off loopback in loopback mode the admin token is not offered: it is just a wrong token.
    ["Bearer admin-token", { metrics }, undefined],
    ["Bearer admin-token", {}, undefined],
    ["Bearer wrong", { admin, metrics }, undefined],
    [null, { admin, metrics }, undefined],
  ];
  for (const [authorization, tokens, want] of rows) {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    const request = new Request("http://gateway/metrics", { headers });
    assert.equal(
      presentedMetricsToken(request, tokens),
      want,
      `${authorization} ${Object.keys(tokens)}`,
    );
  }
});
