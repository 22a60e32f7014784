/**
 * API paths as segments, and the path patterns a group's `allowPaths` lists.
 *
 * A path is compared segment by segment after percent-decoding, which is how
 * the upstream will read it. A path whose segments decode to a `/`, `\`, `%`
 * or a control character, or that has an empty segment, has no segments at
 * all (`null`): an upstream that decodes `%2F` before routing could otherwise
 * be walked from an allowed path to any other.
 *
 * A pattern is an exact path (`/v1/files`) or a path ending in `/*`, which
 * matches every path below it (`/v1/files/*` matches `/v1/files/f1` and
 * `/v1/files/f1/content`, not `/v1/files` itself).
 *
 * @module
 */

/** Characters allowed in a decoded segment that is an id (a model, a response). */
const SAFE_SEGMENT = /^[A-Za-z0-9._:@+~-]{1,256}$/;
/** Characters a decoded segment must never hold. */
const UNSAFE_DECODED = /[\/\\%\p{Cc}]/u;
/** The same for a whole path without `%`, where `/` only separates segments. */
const UNSAFE_PLAIN = /[\\\p{Cc}]/u;

/** The decoded segments of `pathname` (which starts with `/`), or `null` for an unsafe path. */
export function pathSegments(pathname: string): string[] | null {
  // Without a `%` nothing decodes: the common case skips decodeURIComponent per segment.
  return pathname.includes("%") ? decodedSegments(pathname) : plainSegments(pathname);
}

/** {@linkcode pathSegments} for any path, decoding every segment. */
export function decodedSegments(pathname: string): string[] | null {
  const segments: string[] = [];
  for (const raw of pathname.split("/").slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === "" || UNSAFE_DECODED.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

/** {@linkcode pathSegments} for a path without `%`, which decodes to itself. */
function plainSegments(pathname: string): string[] | null {
  if (UNSAFE_PLAIN.test(pathname)) return null;
  const segments = pathname.split("/");
  segments.shift();
  return segments.includes("") ? null : segments;
}

/** Is this decoded segment fit to be an id (no dot segments, a plain character set)? */
export function isSafeId(segment: string): boolean {
  return SAFE_SEGMENT.test(segment) && segment !== "." && segment !== "..";
}

/** What is wrong with a pattern, or `undefined` when it is valid. */
export function pathPatternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith("/v1/")) return 'must start with "/v1/"';
  const parts = pattern.split("/").slice(1);
  for (const [index, part] of parts.entries()) {
    if (part === "*") {
      if (index !== parts.length - 1) return '"*" may only be the last segment';
      continue;
    }
    if (!isSafeId(part)) {
      return "segments are letters, digits and . _ : @ + ~ - (no empty, '.' or '..' segment, no %)";
    }
  }
  return undefined;
}

/** Does `pattern` (valid) match a path's decoded `segments`? */
export function matchesPathPattern(pattern: string, segments: readonly string[]): boolean {
  const parts = pattern.split("/").slice(1);
  const subtree = parts.at(-1) === "*";
  const fixed = subtree ? parts.slice(0, -1) : parts;
  if (subtree ? segments.length <= fixed.length : segments.length !== fixed.length) return false;
  return fixed.every((part, index) => segments[index] === part);
}
