/**
 * Small typed readers for untrusted JSON objects. Each reader either returns a
 * value of the right type or throws a {@linkcode ConfigError} naming the field.
 * Config loading and the admin API share them, so both report mistakes alike.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { pathPatternProblem } from "./path_patterns.ts";

/** A JSON object under validation, with the path used in error messages. */
export class Fields {
  constructor(readonly raw: Record<string, unknown>, readonly path: string) {}

  /** Wraps `value`, which must be a plain object. */
  static of(value: unknown, path: string): Fields {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ConfigError(path, "must be an object");
    }
    return new Fields(value as Record<string, unknown>, path);
  }

  /** Path of a child field. */
  at(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined;
  }

  /** Rejects fields this object does not know, which catches typos. */
  onlyKnown(names: readonly string[]): void {
    for (const name of Object.keys(this.raw)) {
      if (!names.includes(name)) throw new ConfigError(this.at(name), "unknown field");
    }
  }

  string(name: string, fallback?: string): string {
    const value = this.raw[name];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "string" || value.length === 0) {
      throw new ConfigError(this.at(name), "must be a non-empty string");
    }
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.has(name) ? this.string(name) : undefined;
  }

  number(
    name: string,
    fallback: number | undefined,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    const value = this.raw[name];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
      throw new ConfigError(this.at(name), `must be a number from ${min} to ${max}`);
    }
    return value;
  }

  integer(
    name: string,
    fallback: number | undefined,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    const value = this.number(name, fallback, min, max);
    if (!Number.isInteger(value)) throw new ConfigError(this.at(name), "must be a whole number");
    return value;
  }

  optionalInteger(name: string, min: number, max?: number): number | undefined {
    return this.has(name) ? this.integer(name, undefined, min, max) : undefined;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw[name];
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") throw new ConfigError(this.at(name), "must be true or false");
    return value;
  }

  oneOf<T extends string>(name: string, options: readonly T[], fallback?: T): T {
    const value = this.raw[name];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "string" || !options.includes(value as T)) {
      throw new ConfigError(
        this.at(name),
        `must be one of ${options.map((o) => `"${o}"`).join(", ")}`,
      );
    }
    return value as T;
  }

  /** An HTTP status list such as `[403, 429, 529]`. */
  statuses(name: string, fallback: readonly number[]): number[] {
    const value = this.raw[name];
    if (value === undefined) return [...fallback];
    if (!Array.isArray(value)) {
      throw new ConfigError(this.at(name), "must be an array of HTTP statuses");
    }
    return value.map((status, index) => {
      if (!Number.isInteger(status) || status < 400 || status > 599) {
        throw new ConfigError(
          `${this.at(name)}[${index}]`,
          "must be an HTTP error status (400-599)",
        );
      }
      return status as number;
    });
  }

  /** A list of non-empty strings. */
  strings(name: string): string[] {
    const value = this.raw[name];
    if (!Array.isArray(value)) throw new ConfigError(this.at(name), "must be an array of strings");
    return value.map((item, index) => {
      if (typeof item !== "string" || item.length === 0) {
        throw new ConfigError(`${this.at(name)}[${index}]`, "must be a non-empty string");
      }
      return item;
    });
  }

  /** A list of API path patterns (see `path_patterns.ts`), each checked. */
  pathPatterns(name: string): string[] {
    const patterns = this.strings(name);
    patterns.forEach((pattern, index) => {
      const problem = pathPatternProblem(pattern);
      if (problem) throw new ConfigError(`${this.at(name)}[${index}]`, problem);
    });
    return patterns;
  }

  /** A list of objects, each wrapped for further reading. */
  objects(name: string): Fields[] {
    const value = this.raw[name];
    if (!Array.isArray(value)) throw new ConfigError(this.at(name), "must be an array");
    return value.map((item, index) => Fields.of(item, `${this.at(name)}[${index}]`));
  }

  /** A nested object; an absent one reads as empty so defaults apply. */
  /** A map of non-empty strings to non-empty strings. */
  stringMap(name: string): Record<string, string> {
    const value = this.raw[name];
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ConfigError(this.at(name), "must be an object of names to names");
    }
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === "" || typeof item !== "string" || item === "") {
        throw new ConfigError(`${this.at(name)}.${key}`, "must be a non-empty string");
      }
      out[key] = item;
    }
    return out;
  }

  /** A list of names (`["a", "b"]`) or a map of names to names (`{"a": "b"}`). */
  namesOrMap(name: string): string[] | Record<string, string> {
    if (Array.isArray(this.raw[name])) {
      const names = this.strings(name);
      if (names.length === 0) throw new ConfigError(this.at(name), "must not be empty");
      return names;
    }
    if (this.raw[name] === null || typeof this.raw[name] !== "object") {
      throw new ConfigError(this.at(name), "must be a list of model names or a map of names");
    }
    return this.stringMap(name);
  }

  object(name: string): Fields {
    return this.has(name)
      ? Fields.of(this.raw[name], this.at(name))
      : new Fields({}, this.at(name));
  }
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Reads an `id` field: 1-64 letters, digits, '.', '_' or '-'. */
export function readId(fields: Fields): string {
  const id = fields.string("id");
  if (!ID_PATTERN.test(id)) {
    throw new ConfigError(fields.at("id"), "must be 1-64 letters, digits, '.', '_' or '-'");
  }
  return id;
}

/** An `http:` or `https:` URL without a trailing slash. */
export function baseUrl(fields: Fields, name: string, fallback?: string): string {
  const value = fields.string(name, fallback);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(fields.at(name), "must be an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(fields.at(name), "must be an absolute http(s) URL");
  }
  if (url.search || url.hash) {
    throw new ConfigError(fields.at(name), "must not have a query or fragment");
  }
  return value.replace(/\/+$/, "");
}
