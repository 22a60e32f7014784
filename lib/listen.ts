/**
 * Where the gateway listens: `HOST` (default `0.0.0.0`) and `PORT` (default
 * 8787). Shared by `main.ts` and `scripts/serve.ts` (which hands them to
 * `deno serve --host --port`), so both read the environment alike and refuse
 * a bad value with one line.
 *
 * @module
 */

/** Reads environment variables (a function so tests can pass their own). */
export type Env = (name: string) => string | undefined;

/** The process environment. */
export const processEnv: Env = (name) => Deno.env.get(name);

/** A listening address. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/** `HOST` and `PORT`, or one line on stderr and exit 1 when `PORT` is not a port. */
export function listenFrom(env: Env): ListenAddress {
  const port = wholeNumberSetting("PORT", env("PORT") || "8787", 0, 65535);
  return { hostname: env("HOST") || "0.0.0.0", port };
}

/** A setting that must be a whole number from `min` to `max`, or one line on stderr and exit 1. */
export function wholeNumberSetting(name: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (value >= min && value <= max) return value;
  exitWith(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
}

/** Prints `switchyard: <message>` (its first line) and exits 1: how start-up refuses. */
export function exitWith(message: string): never {
  console.error(`switchyard: ${message.split("\n")[0]}`);
  Deno.exit(1);
}

/** The first line of an error's message. */
export function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
