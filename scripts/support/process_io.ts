/**
 * A command-line tool's ties to its process: its environment, standard
 * output and error, and standard input (one line for the terminal sign-ins,
 * or all of it). `deno task admin` and `deno task accounts` take an object
 * of this shape, so their tests can pass their own.
 *
 * @module
 */

import { readStdinAll, readStdinLine } from "./stdin.ts";

/** The process's own environment, console and standard input. */
export const PROCESS_IO = {
  env: (name: string): string | undefined => Deno.env.get(name),
  out: (line: string): void => console.log(line),
  err: (line: string): void => console.error(line),
  readLine: readStdinLine,
  input: readStdinAll,
};
