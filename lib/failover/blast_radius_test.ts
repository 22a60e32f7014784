/** Which errors count toward the blast radius, and when a request stops. */

import assert from "node:assert/strict";
import { blastKind, BlastRadius } from "./blast_radius.ts";

const cool = (reason: "forbidden" | "quota" | "rateLimited" | "serverError" | "overloaded") => ({
  kind: "cooldown" as const,
  reason,
  until: 1,
  strike: reason === "forbidden",
});

Deno.test("blastKind and BlastRadius (table)", () => {
  assert.equal(blastKind(cool("quota"), 429, null, ""), undefined);
  assert.equal(blastKind(cool("rateLimited"), 429, null, ""), undefined);
  assert.equal(blastKind(cool("overloaded"), 529, null, ""), undefined);
  assert.equal(blastKind({ kind: "none" }, 404, "text/html", "<html>"), undefined);
  assert.equal(
    blastKind(cool("forbidden"), 403, null, '{"error":{"message":"usage limit reached"}}'),
    undefined,
  );
  assert.equal(blastKind(cool("forbidden"), 403, "text/html; charset=utf-8", "<html>"), "403/html");
  assert.equal(blastKind(cool("serverError"), 500, "application/json", "{}"), "500");
  assert.equal(blastKind(cool("serverError"), 503, "application/json", "{}"), undefined);
  assert.equal(blastKind({ kind: "disable", reason: "x" }, 401, null, ""), "401");

  const same = new BlastRadius();
  assert.deepEqual(same.judge("403/html"), { apply: true, stop: false });
  assert.deepEqual(same.judge(undefined), { apply: true, stop: false });
  assert.deepEqual(same.judge("403/html"), { apply: true, stop: true });

  const mixed = new BlastRadius();
  assert.deepEqual(mixed.judge("500"), { apply: true, stop: false });
  assert.deepEqual(mixed.judge("403"), { apply: true, stop: false });
  assert.deepEqual(mixed.judge("502"), { apply: false, stop: true });
});
