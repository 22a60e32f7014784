/**
 * Reads the configuration at start-up: from `SWITCHYARD_CONFIG_JSON` when set
 * (Deno Deploy has no file to edit), else from the file named by
 * `SWITCHYARD_CONFIG` (default `./switchyard.json`). Every failure becomes a
 * {@linkcode ConfigLoadError} whose message names the source and the field.
 * With neither variable set and no `./switchyard.json`, the gateway starts
 * empty ({@linkcode loadConfigOrEmpty}): a first run is filled in from the
 * dashboard, so a missing default file is not an error.
 *
 * @module
 */

import type { EnvLookup } from "./env_expand.ts";
import { ConfigError } from "./errors.ts";
import type { Config } from "./types.ts";
import { validateConfig } from "./validate.ts";

/** Where the config came from, for messages. */
export type ConfigSource = { kind: "env"; name: "SWITCHYARD_CONFIG_JSON" } | {
  kind: "file";
  path: string;
};

/** A config that could not be loaded; `message` is a single human-readable line. */
export class ConfigLoadError extends Error {
  constructor(source: ConfigSource, problem: string) {
    const where = source.kind === "env" ? source.name : source.path;
    super(`invalid config (${where}): ${problem}`);
    this.name = "ConfigLoadError";
  }
}

/** Picks the config source from the environment. */
export function configSource(env: EnvLookup): ConfigSource {
  if (env("SWITCHYARD_CONFIG_JSON") !== undefined) {
    return { kind: "env", name: "SWITCHYARD_CONFIG_JSON" };
  }
  return { kind: "file", path: env("SWITCHYARD_CONFIG") ?? "./switchyard.json" };
}

/** Loads, parses and validates the config. */
export async function loadConfig(env: EnvLookup): Promise<Config> {
  const source = configSource(env);
  let text: string;
  if (source.kind === "env") {
    text = env(source.name) ?? "";
  } else {
    try {
      text = await Deno.readTextFile(source.path);
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "file not found (unset SWITCHYARD_CONFIG to start without a config file)"
        : `cannot read the file (${error instanceof Error ? error.name : "error"})`;
      throw new ConfigLoadError(source, reason);
    }
  }
  return parseConfigText(text, source, env);
}

/** The config, or an empty one when only the default file is missing (`empty` says which). */
export async function loadConfigOrEmpty(
  env: EnvLookup,
): Promise<{ config: Config; empty: boolean }> {
  const source = configSource(env);
  const implicit = source.kind === "file" && env("SWITCHYARD_CONFIG") === undefined;
  if (implicit && !(await exists(source.path))) {
    return { config: validateConfig({}, env), empty: true };
  }
  return { config: await loadConfig(env), empty: false };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    // Anything but "not there" (no permission, say) is reported by loadConfig.
    return !(error instanceof Deno.errors.NotFound);
  }
}

/** Parses and validates config text from a named source. */
export function parseConfigText(text: string, source: ConfigSource, env: EnvLookup): Config {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigLoadError(source, `not valid JSON (${(error as Error).message})`);
  }
  try {
    return validateConfig(document, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigLoadError(source, error.message);
    throw error;
  }
}
