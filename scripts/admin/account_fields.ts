/**
 * An account's settings from `deno task admin accounts add|update` options:
 * its API key and egress proxy (each from a variable, so the secret stays
 * out of shell history, or given directly), priority, concurrency,
 * passthrough and `--avoid-above`; and how the answer shows them (the proxy
 * as the API masks it).
 *
 * @module
 */

import { CliError, numericFields, type Values } from "./context.ts";

type Row = Record<string, unknown>;

/** `--api-key-env NAME` (the key stays out of shell history) or `--api-key VALUE`. */
export function apiKey(
  values: Values,
  env: (name: string) => string | undefined,
  required: boolean,
): string | undefined {
  const name = values["api-key-env"];
  if (typeof name === "string") {
    const value = env(name);
    if (!value) throw new CliError(`--api-key-env: ${name} is not set`, 2);
    return value;
  }
  if (typeof values["api-key"] === "string") return values["api-key"];
  if (required) throw new CliError("missing --api-key-env NAME (or --api-key)", 2);
  return undefined;
}

/**
 * Priority, concurrency, passthrough, `--avoid-above` (`avoidAbovePercent`)
 * and the egress proxy (`--proxy-env NAME` keeps its credentials out of shell
 * history, `--proxy URL` works too); `none` lifts a setting where `lift` allows.
 */
export function accountSettings(
  values: Values,
  lift: boolean,
  env: (name: string) => string | undefined,
): Row {
  const body: Row = numericFields(values, [
    ["priority", "priority"],
    ["concurrency", "concurrency"],
    ["avoid-above", "avoidAbovePercent"],
  ], lift);
  if (values.passthrough === true) body.passthrough = true;
  if (values["no-passthrough"] === true) body.passthrough = false;
  const name = values["proxy-env"];
  if (typeof name === "string") {
    const value = env(name);
    if (!value) throw new CliError(`--proxy-env: ${name} is not set`, 2);
    body.proxy = value;
  } else if (typeof values.proxy === "string") {
    body.proxy = lift && values.proxy === "none" ? null : values.proxy;
  }
  return body;
}

/** An account's quota threshold and proxy as the API shows them (the proxy masked). */
export function settingsText(row: Row): string {
  return [
    row.avoidAbovePercent === undefined ? "" : `, avoid above ${row.avoidAbovePercent}%`,
    row.proxy === undefined ? "" : `, via proxy ${row.proxy}`,
  ].join("");
}
