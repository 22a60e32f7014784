/**
 * A command-line tool's ties to its process: its environment, standard
 * output and error, and standard input (one line for the terminal sign-ins,
 * or all of it). `deno task admin` and `deno task accounts` take an object
 * of this shape, so their tests can pass their own, and read their command
 * line alike.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { readStdinAll, readStdinLine } from "./stdin.ts";

/** The process's own environment, console and standard input. */
export const PROCESS_IO = {
  env: (name: string): string | undefined => Deno.env.get(name),
  out: (line: string): void => console.log(line),
  err: (line: string): void => console.error(line),
  readLine: readStdinLine,
  input: readStdinAll,
};

/** A command line's flags (`options`) and its words. */
type Parsed<O extends ParseArgsConfig["options"]> = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: true; options: O }>
>;

/**
 * The command line read with `options`, or `undefined` after writing the
 * parser's complaint and the tool's usage to `err` (the caller exits 2).
 */
export function readCommandLine<O extends ParseArgsConfig["options"]>(
  args: string[],
  options: O,
  complain: { err(line: string): void; usage: string; prefix?: string },
): Parsed<O> | undefined {
  try {
    return parseArgs({ args, allowPositionals: true, options });
  } catch (error) {
    complain.err(`${complain.prefix ?? ""}${(error as Error).message}\n\n${complain.usage}`);
    return undefined;
  }
}
