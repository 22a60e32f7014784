/**
 * `deno task bench`'s command line: its options, read once, and the usage
 * line printed on a bad one.
 *
 * @module
 */

import { parseArgs } from "node:util";

export const USAGE = "usage: deno task bench [--rounds N] [--seconds N] [--connections N] " +
  "[--sequential N] [--peers] [--baseline DIR] [--only websocket|json|failover] [--profile DIR]";

export interface Options {
  rounds: number;
  seconds: number;
  connections: number;
  sequential: number;
  peers: boolean;
  /** Run only this row (`websocket`, `failover`) or the main table's JSON rows (`json`). */
  only?: "websocket" | "json" | "failover";
  /** Another checkout whose gateway joins the main table as `baseline` (before/after in one run). */
  baseline?: string;
  profile?: string;
}

export function readOptions(args: string[]): Options {
  try {
    const { values } = parseArgs({
      args,
      options: {
        rounds: { type: "string", default: "1" },
        seconds: { type: "string", default: "5" },
        connections: { type: "string", default: "50" },
        sequential: { type: "string", default: "500" },
        peers: { type: "boolean", default: false },
        only: { type: "string" },
        profile: { type: "string" },
        baseline: { type: "string" },
      },
    });
    const whole = (name: string, raw: string) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be 1 or more`);
      return value;
    };
    if (values.only !== undefined && !["websocket", "json", "failover"].includes(values.only)) {
      throw new Error(`--only takes "websocket", "json" or "failover", got "${values.only}"`);
    }
    return {
      only: values.only as Options["only"],
      rounds: whole("rounds", values.rounds),
      seconds: whole("seconds", values.seconds),
      connections: whole("connections", values.connections),
      sequential: whole("sequential", values.sequential),
      peers: values.peers,
      profile: values.profile,
      baseline: values.baseline,
    };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    Deno.exit(2);
  }
}
