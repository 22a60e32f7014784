/**
 * Reads the config's `cors` object: which browser origins may call `/v1/*`.
 * An origin is compared exactly as the browser sends it (scheme, host and a
 * non-default port, no path), so each entry must already be in that form.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { Fields } from "./fields.ts";
import type { CorsSettings } from "./types.ts";

/** Reads `cors: {origins: [...]}`. */
export function readCors(fields: Fields): CorsSettings {
  fields.onlyKnown(["origins"]);
  const origins = fields.has("origins") ? fields.strings("origins") : [];
  origins.forEach((origin, index) => {
    const problem = originProblem(origin);
    if (problem) throw new ConfigError(`${fields.at("origins")}[${index}]`, problem);
  });
  return { origins };
}

/** Why `origin` is not an origin a browser sends, or `undefined` when it is one (or `*`). */
export function originProblem(origin: string): string | undefined {
  if (origin === "*") return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'must be an origin such as "https://app.example.com", or "*"';
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return "must be an http(s) origin";
  }
  if (url.origin !== origin) {
    return `must be exactly an origin, without a path or trailing slash ("${url.origin}")`;
  }
  return undefined;
}
