/**
 * `${NAME}` substitution in configuration strings, so secrets can live in the
 * environment instead of the config file. An unset variable is a config error
 * naming the field, never a silent empty credential.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Reads one environment variable; `undefined` when unset. */
export type EnvLookup = (name: string) => string | undefined;

/** Returns a deep copy of `value` with every `${NAME}` in its strings replaced. */
export function expandEnv(value: unknown, env: EnvLookup, path = ""): unknown {
  if (typeof value === "string") {
    return value.replace(PLACEHOLDER, (_match, name: string) => {
      const resolved = env(name);
      if (resolved === undefined) {
        throw new ConfigError(path, `environment variable ${name} is not set`);
      }
      return resolved;
    });
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => expandEnv(item, env, `${path}[${index}]`));
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = expandEnv(item, env, path ? `${path}.${key}` : key);
    }
    return out;
  }
  return value;
}
