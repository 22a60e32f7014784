/**
 * The first top-level key a JSON object's text repeats. `JSON.parse` keeps
 * the last copy of a repeated key; other parsers keep the first or refuse
 * the body, so the gateway and the upstream could read different values
 * (`{"model":"o1-pro","model":"gpt-4o"}`). Keys are compared decoded, so
 * `"m\u006fdel"` repeats `"model"`.
 *
 * Only the top level is walked, and strings are skipped with `indexOf`:
 * the text has parsed already, so it is well-formed, and the cost is a
 * fraction of the parse.
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** The first repeated top-level key of `text`, a JSON object that parsed; `undefined` if none. */
export function repeatedTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      const end = closingQuote(text, at);
      if (depth === 1 && expectKey) {
        const raw = text.slice(at + 1, end);
        const key = raw.includes("\\") ? JSON.parse(`"${raw}"`) as string : raw;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      at = end;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      depth++;
      expectKey = depth === 1;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) depth--;
    else if (code === COMMA && depth === 1) expectKey = true;
  }
  return undefined;
}

/** Index of the quote closing the string that opens at `start` (one not escaped). */
function closingQuote(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  while (quote > 0) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}
