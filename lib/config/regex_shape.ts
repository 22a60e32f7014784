/**
 * The shape of an operator's error-rule pattern, read before it ever runs.
 * V8 matches by backtracking, so a pattern like `(a+)+b` takes seconds on a
 * few dozen characters and blocks every request of the process meanwhile.
 * {@linkcode patternProblem} refuses, by shape, the patterns whose worst case
 * is not small over the {@linkcode RULE_MATCH_CHARS} characters a rule sees:
 *
 * - a nested quantifier: a repeated group that itself repeats or chooses
 *   (`(a+)+`, `(\w+\s?)*`, `(a|ab)*`); a group of alternatives that each start
 *   with a different literal character (`(?:foo|bar)+`) may repeat;
 * - a backreference (`\1`, `\k<name>`);
 * - more ways to split the text than one unbounded repetition times 8 (the
 *   product of every repetition's choices): `.*.*x` is cubic, seconds on 4 KiB.
 *
 * {@linkcode lowerCasedPattern} is the pattern for lower-cased text: rules
 * match case-insensitively without V8's `i` flag, whose matcher is slower and
 * which the linear fallback engine does not take. Pure, no I/O.
 *
 * @module
 */

/** The characters of an error body (or error event) that a rule's `match` is tried on. */
export const RULE_MATCH_CHARS = 4096;

/** The most ways to match at one start: one unbounded repetition times 8 choices. */
const MAX_CHOICES = 8 * RULE_MATCH_CHARS;

/** A piece of pattern: how many ways it can match at one place, and whether repeating it is safe. */
interface Shape {
  choices: number;
  /** Each repetition has at most one way to match. */
  deterministic: boolean;
  /** The literal character it must start with (lower-cased), when known. */
  first?: string;
}

class Reader {
  at = 0;
  problem: string | undefined;
  constructor(readonly source: string) {}
  get next(): string | undefined {
    return this.source[this.at];
  }
  refuse(problem: string): void {
    this.problem ??= problem;
  }
}

/** Why `pattern` (already known to compile) may backtrack catastrophically, or `undefined`. */
export function patternProblem(pattern: string): string | undefined {
  const reader = new Reader(pattern);
  const shape = alternation(reader);
  if (reader.problem) return reader.problem;
  if (shape.choices > MAX_CHOICES) {
    return 'too many ways to match: more than one unbounded repetition (*, +, {n,}) as in ".*.*", ' +
      `or one alongside more than 8 further choices, backtracks polynomially over the ${RULE_MATCH_CHARS} ` +
      "characters matched; use one, or bound the repetitions ({0,50})";
  }
  return undefined;
}

function alternation(reader: Reader): Shape {
  const branches = [sequence(reader)];
  while (reader.next === "|") {
    reader.at++;
    branches.push(sequence(reader));
  }
  if (branches.length === 1) return branches[0];
  const firsts = new Set(branches.map((branch) => branch.first));
  return {
    choices: branches.reduce((sum, branch) => sum + branch.choices, 0),
    // At any place at most one branch can start, and that one matches one way.
    deterministic: !firsts.has(undefined) && firsts.size === branches.length &&
      branches.every((branch) => branch.deterministic && branch.choices === 1),
  };
}

function sequence(reader: Reader): Shape {
  const shape: Shape = { choices: 1, deterministic: true };
  for (
    let index = 0;
    reader.next !== undefined && reader.next !== "|" && reader.next !== ")";
    index++
  ) {
    const item = atom(reader);
    const { min, max } = quantifier(reader) ?? { min: 1, max: 1 };
    if (index === 0 && min >= 1 && item.first !== undefined) shape.first = item.first;
    const choices = repeated(reader, item, min, max);
    shape.choices *= choices;
    if (choices > 1 || !item.deterministic) shape.deterministic = false;
  }
  return shape;
}

/** The choices of `item` repeated `min` to `max` times. */
function repeated(reader: Reader, item: Shape, min: number, max: number): number {
  if (max <= 1) return min === max ? item.choices : item.choices + 1;
  if (!item.deterministic) {
    reader.refuse(
      'nested quantifier: a repeated group that itself repeats or chooses between overlapping alternatives ("(a+)+", "(a|ab)*") backtracks exponentially; repeat a character, a class or a literal group instead',
    );
    return Infinity;
  }
  return max === Infinity ? RULE_MATCH_CHARS : Math.min(max - min + 1, RULE_MATCH_CHARS);
}

const QUANTIFIER = /^\{(\d+)(,(\d*))?\}/;

function quantifier(reader: Reader): { min: number; max: number } | undefined {
  const char = reader.next;
  let bounds: { min: number; max: number } | undefined;
  if (char === "*") bounds = { min: 0, max: Infinity };
  else if (char === "+") bounds = { min: 1, max: Infinity };
  else if (char === "?") bounds = { min: 0, max: 1 };
  if (bounds) {
    reader.at++;
  } else if (char === "{") {
    const found = QUANTIFIER.exec(reader.source.slice(reader.at));
    if (!found) return undefined; // a literal `{`
    const min = Number(found[1]);
    const max = found[2] === undefined ? min : found[3] === "" ? Infinity : Number(found[3]);
    bounds = { min, max };
    reader.at += found[0].length;
  } else {
    return undefined;
  }
  if (reader.next === "?") reader.at++; // lazy: the same choices, tried in another order
  return bounds;
}

function atom(reader: Reader): Shape {
  const char = reader.next as string;
  if (char === "(") return group(reader);
  if (char === "[") {
    skipClass(reader);
    return { choices: 1, deterministic: true };
  }
  if (char === "\\") return escape(reader);
  reader.at++;
  const special = char === "." || char === "^" || char === "$";
  return { choices: 1, deterministic: true, ...(special ? {} : { first: char.toLowerCase() }) };
}

function group(reader: Reader): Shape {
  reader.at++;
  if (reader.next === "?") {
    // (?:  (?=  (?!  (?<=  (?<!  (?<name>  and modifiers like (?i:
    const head = /^\?(<[=!]|<[^>]*>|[=!:]|[a-z-]*:)/i.exec(reader.source.slice(reader.at));
    reader.at += head ? head[0].length : 1;
  }
  const inner = alternation(reader);
  reader.at++; // the `)`
  return { choices: inner.choices, deterministic: inner.deterministic };
}

function skipClass(reader: Reader): void {
  reader.at++;
  if (reader.next === "^") reader.at++;
  while (reader.next !== undefined && reader.next !== "]") {
    reader.at += reader.next === "\\" ? 2 : 1;
  }
  reader.at++;
}

function escape(reader: Reader): Shape {
  const name = reader.source[reader.at + 1] ?? "";
  if (/[1-9]/.test(name) || (name === "k" && reader.source[reader.at + 2] === "<")) {
    reader.refuse(
      "backreference: \\1 and \\k<name> may take exponential time; rules cannot use them",
    );
  }
  reader.at += tokenAt(reader.source, reader.at).length;
  // `\.` is a literal dot; a letter's escape is a class, an assertion or a code.
  const literal = /[^A-Za-z0-9]/.test(name) ? { first: name } : {};
  return { choices: 1, deterministic: true, ...literal };
}

/**
 * `pattern` for lower-cased text, matched without the `i` flag: literal
 * characters lower-cased (escapes that mean something, like `\W` or `\B`,
 * kept), and a class range keeps its own characters and gains the lower-case
 * letters of any `A-Z` it spans (`[A-z]` matches what it did).
 */
export function lowerCasedPattern(pattern: string): string {
  let out = "";
  for (let at = 0; at < pattern.length;) {
    if (pattern[at] === "[") {
      const end = classEnd(pattern, at);
      out += lowerCasedClass(pattern.slice(at, end));
      at = end;
    } else {
      const token = tokenAt(pattern, at);
      out += lowerToken(token);
      at += token.length;
    }
  }
  return out;
}

function classEnd(pattern: string, start: number): number {
  let at = start + 1;
  if (pattern[at] === "^") at++;
  while (at < pattern.length && pattern[at] !== "]") at += tokenAt(pattern, at).length;
  return at + 1;
}

/** One character or one escape, as written. */
function tokenAt(pattern: string, at: number): string {
  if (pattern[at] !== "\\") return pattern[at];
  const name = pattern[at + 1] ?? "";
  const hex = name === "x" ? /^\\x[0-9a-f]{2}/i : name === "u" ? /^\\u[0-9a-f]{4}/i : undefined;
  const coded = hex?.exec(pattern.slice(at));
  if (coded) return coded[0];
  if (name === "c" && /[a-z]/i.test(pattern[at + 2] ?? "")) return pattern.slice(at, at + 3);
  return pattern.slice(at, at + 2);
}

/** The single character a token stands for, when it stands for one. */
function codeOf(token: string): number | undefined {
  if (token.length === 1) return token.charCodeAt(0);
  if (/^\\[xu]/.test(token) && token.length > 2) return parseInt(token.slice(2), 16);
  if (token.length === 2 && /[^A-Za-z0-9]/.test(token[1])) return token.charCodeAt(1);
  return undefined;
}

function lowerToken(token: string): string {
  // Escaped letters that mean something keep their case: \B \D \S \W differ from \b \d \s \w.
  if (token.length === 2 && /[A-Za-z0-9]/.test(token[1])) {
    return /[A-Z]/.test(token[1]) && !"BDSW".includes(token[1]) ? token[1].toLowerCase() : token;
  }
  const code = codeOf(token);
  if (code === undefined) return token;
  const lower = String.fromCharCode(code).toLowerCase();
  if (lower.length !== 1 || lower.charCodeAt(0) === code) return token;
  // A lower-case letter is never special; a coded one stays coded.
  return token.length === 1 ? lower : `\\u${lower.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

function lowerCasedClass(source: string): string {
  const negated = source[1] === "^";
  let at = negated ? 2 : 1;
  const tokens: string[] = [];
  while (at < source.length - 1) {
    const token = tokenAt(source, at);
    tokens.push(token);
    at += token.length;
  }
  let body = "";
  for (let i = 0; i < tokens.length; i++) {
    const low = codeOf(tokens[i]);
    const high = tokens[i + 1] === "-" ? codeOf(tokens[i + 2] ?? "") : undefined;
    if (low !== undefined && high !== undefined && i + 2 < tokens.length) {
      body += `${tokens[i]}-${tokens[i + 2]}${lowerCasedLetters(low, high)}`;
      i += 2;
    } else {
      body += lowerToken(tokens[i]);
    }
  }
  return `[${negated ? "^" : ""}${body}]`;
}

/** The lower-case letters of the `A-Z` part of the range `low`-`high`, as a range. */
function lowerCasedLetters(low: number, high: number): string {
  const from = Math.max(low, 65);
  const to = Math.min(high, 90);
  if (from > to) return "";
  return `${String.fromCharCode(from + 32)}-${String.fromCharCode(to + 32)}`;
}
