/**
 * The errors `Deno.serve` reports for answers that broke off, told apart from faults.
 *
 * @module
 */

import assert from "node:assert/strict";
import { brokenAnswer } from "./errors.ts";

Deno.test("brokenAnswer: an upstream cut and a client gone are named; anything else is a fault", () => {
  const cases: [unknown, string | undefined][] = [
    [new TypeError("error reading a body from connection"), "upstream-cut"],
    [new TypeError("error reading a body from connection: connection reset"), "upstream-cut"],
    [new DOMException("The request has been cancelled.", "AbortError"), "client-gone"],
    [new DOMException("The signal has been aborted", "AbortError"), "client-gone"],
    [new TypeError("Cannot read properties of undefined (reading 'id')"), undefined],
    [new Error("internal"), undefined],
    ["a string", undefined],
    [undefined, undefined],
  ];
  for (const [error, expected] of cases) assert.equal(brokenAnswer(error), expected, String(error));
});
