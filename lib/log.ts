/**
 * Log output for the whole process, through `@logtape/logtape`: JSON lines on
 * stdout, one object per record with its properties at the top level. The
 * gateway's modules only call `getLogger(...)`; nothing is printed until the
 * process entry point calls {@linkcode configureLogging}, so tests and
 * embedders stay quiet unless they opt in.
 *
 * `SWITCHYARD_LOG=off` turns request logs off; `SWITCHYARD_LOG=debug|info|warning|error`
 * sets the lowest level printed (default `info`).
 *
 * @module
 */

import {
  configure,
  dispose,
  getJsonLinesFormatter,
  getStreamSink,
  type LogLevel,
} from "@logtape/logtape";

const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];

/** Sets up JSON-lines logging on stdout from the environment. */
export async function configureLogging(env: (name: string) => string | undefined): Promise<void> {
  const setting = env("SWITCHYARD_LOG") ?? "info";
  if (setting === "off") return;
  const level = LEVELS.includes(setting as LogLevel) ? setting as LogLevel : "info";
  await configure({
    reset: true,
    sinks: {
      // Buffered and written in the background: a synchronous write per request
      // cost several percent of the gateway's throughput.
      stdout: getStreamSink(Deno.stdout.writable, {
        formatter: getJsonLinesFormatter({ properties: "flatten", categorySeparator: "." }),
        nonBlocking: { bufferSize: 256, flushInterval: 50 },
        closeStream: false,
      }),
    },
    loggers: [
      { category: ["switchyard"], lowestLevel: level, sinks: ["stdout"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stdout"] },
    ],
  });
}

/** Writes out buffered log lines; call before the process exits. */
export async function flushLogs(): Promise<void> {
  await dispose();
}
