import assert from "node:assert/strict";
import { compileMatch } from "./error_rules.ts";
import { lowerCasedPattern, patternProblem } from "./regex_shape.ts";

Deno.test("patternProblem refuses catastrophic shapes and lets ordinary rules through", () => {
  const refused: [string, RegExp][] = [
    ["(a+)+b", /^nested quantifier/],
    ["(a*)*", /^nested quantifier/],
    ["(\\w+\\s?)*x", /^nested quantifier/],
    ["(a|a)*b", /^nested quantifier/],
    ["(a|ab)*c", /^nested quantifier/],
    ["(?:x+y)+", /^nested quantifier/],
    ["([a-z]+)*$", /^nested quantifier/],
    ["(a{2,})+", /^nested quantifier/],
    ["(\\d|\\w)+", /^nested quantifier/],
    ["x(?:(a+))+", /^nested quantifier/],
    ["(a)\\1", /^backreference/],
    ["(?<n>a)\\k<n>", /^backreference/],
    [".*.*x", /^too many ways to match/],
    ["\\w*\\w*\\w*x", /^too many ways to match/],
    ["error.*(quota|limit).*exceeded", /^too many ways to match/],
    ["a+b+", /^too many ways to match/],
    [".*\\d{0,20}x", /^too many ways to match/],
    ["a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaaaaaa", /^too many ways/],
  ];
  for (const [pattern, problem] of refused) {
    assert.match(patternProblem(pattern) ?? "(allowed)", problem, pattern);
  }
  const allowed = [
    "overloaded",
    "overloaded|at capacity",
    "rate limit.*exceeded",
    "(?:foo|bar)+",
    "account (deactivated|suspended)",
    "\\d{3}",
    ".{0,50}foo.{0,50}",
    "x{1000}",
    "(?:ab){2,}",
    "(a+)?b",
    "[a-z]+ error",
    "colou?r.*limit",
    "\\(a+\\)",
    "[(a+)+]",
    "a{,3}+",
    "\\x41+\\.",
  ];
  for (const pattern of allowed) assert.equal(patternProblem(pattern), undefined, pattern);
});

Deno.test("lowerCasedPattern lower-cases literals, keeps escapes that mean something, widens ranges", () => {
  const cases: [string, string][] = [
    ["Overloaded", "overloaded"],
    ["\\W+\\D\\S\\B", "\\W+\\D\\S\\B"],
    ["\\BX\\P", "\\Bxp"],
    ["[A-Z]", "[A-Za-z]"],
    ["[A-z]", "[A-za-z]"],
    ["[^A-F0-9_]", "[^A-Fa-f0-9_]"],
    ["[Z-a]", "[Z-az-z]"],
    ["[-A]+", "[-a]+"],
    ["[\\W\\]Q]", "[\\W\\]q]"],
    ["\\x41\\u00C9", "\\u0061\\u00e9"],
    ["\\cJ", "\\cJ"],
    ["(?<Name>X){2,3}", "(?<name>x){2,3}"],
    ["ÉTAT", "état"],
  ];
  for (const [pattern, lowered] of cases) {
    assert.equal(lowerCasedPattern(pattern), lowered, pattern);
  }
});

Deno.test("a compiled rule on lower-cased text matches what the i flag matched", () => {
  const patterns = [
    "Overloaded",
    "[A-Z]+ ERROR",
    "[A-z]",
    "[^A-Z]",
    "\\W\\w",
    "\\x41B",
    "\\bQuota\\b",
    "Status: [45]\\d\\d",
    "ÉTAT",
    "x|Y|z",
  ];
  const texts = [
    "overloaded",
    "OVERLOADED",
    "QUOTA ERROR",
    "^_",
    "[",
    "AB",
    "ab",
    "The quota ran out",
    "status: 429",
    "État",
    "y",
    "!!",
  ];
  for (const pattern of patterns) {
    const compiled = compileMatch(pattern) as RegExp;
    assert.equal(compiled.flags, "", pattern);
    for (const text of texts) {
      assert.equal(
        compiled.test(text.toLowerCase()),
        new RegExp(pattern, "i").test(text),
        `${pattern} on ${text}`,
      );
    }
  }
});
