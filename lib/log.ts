/**
 * The gateway's one logger module.
 *
 * - Request lines go through `@logtape/logtape`: JSON lines on stdout, one
 *   object per record with its properties at the top level. Nothing is
 *   printed until the process entry point calls {@linkcode configureLogging},
 *   so tests and embedders stay quiet unless they opt in.
 *   `SWITCHYARD_LOG=off` turns request logs off;
 *   `SWITCHYARD_LOG=debug|info|warning|error` sets the lowest level printed
 *   (default `info`).
 * - Failures off the response path (a KV write that failed, a snapshot that
 *   could not be built) go to stderr as one JSON line each through
 *   {@linkcode logError}: `{"level":"error","msg":...}` plus ids, never a
 *   secret.
 *
 * @module
 */

import {
  configure,
  dispose,
  getJsonLinesFormatter,
  getLogger,
  type LogLevel,
  type LogRecord,
} from "@logtape/logtape";
import { batchedSink } from "./log_sink.ts";

const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];

/** Sets up JSON-lines logging on stdout from the `SWITCHYARD_LOG` setting. */
export async function configureLogging(setting = "info"): Promise<void> {
  if (setting === "off") return;
  const level = LEVELS.includes(setting as LogLevel) ? setting as LogLevel : "info";
  await configure({
    reset: true,
    sinks: {
      // Buffered and written in the background, one write per batch of lines:
      // a write per request line was the largest item of the gateway's CPU profile.
      stdout: immediate(batchedSink<LogRecord>((bytes) => Deno.stdout.write(bytes), jsonLine)),
    },
    loggers: [
      { category: ["switchyard"], lowestLevel: level, sinks: ["stdout"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stdout"] },
    ],
  });
}

/**
 * logtape copies a record's properties before handing it to a sink that may
 * keep it, unless the sink carries this mark (logtape's own, under a global
 * symbol). Ours formats the record to text at once, so the copy (a tenth of
 * the request line's cost) is skipped.
 */
const IMMEDIATE_SINK = Symbol.for("LogTape.sinkSnapshotPolicy.immediate");

function immediate<T extends object>(sink: T): T {
  Object.defineProperty(sink, IMMEDIATE_SINK, { value: true });
  return sink;
}

const logtapeJsonLine = getJsonLinesFormatter({ properties: "flatten", categorySeparator: "." });
/** What logtape's JSON formatter escapes after stringifying: DEL and the C1 controls. */
const JSON_CONTROL = /[\u007f-\u009f]/g;

/**
 * One JSON line per record, the same text as logtape's JSON-lines formatter
 * (`properties: "flatten"`). Our own records (category `switchyard.*`, a plain
 * message, plain-data properties) take one `JSON.stringify` without a replacer:
 * logtape's per-key replacer and message parsing were most of the cost of the
 * request line. Anything else (logtape's meta records, which may carry errors)
 * goes through logtape's formatter.
 */
export function jsonLine(record: LogRecord): string {
  const { rawMessage, category, properties } = record;
  if (category[0] !== "switchyard" || typeof rawMessage !== "string" || rawMessage.includes("{")) {
    return logtapeJsonLine(record);
  }
  let json: string;
  try {
    const head = `{"@timestamp":"${isoTime(record.timestamp)}","level":"${
      levelName(record.level)
    }","message":${JSON.stringify(rawMessage)},"logger":${JSON.stringify(category.join("."))}`;
    if (HEAD_KEYS.some((key) => key in properties)) {
      // A property named like a head field takes that field's place: the spread keeps the order.
      json = JSON.stringify({ ...JSON.parse(`${head}}`), ...properties });
    } else {
      // The properties stringified on their own and joined to the head: no merged copy.
      const rest = JSON.stringify(properties);
      json = rest.length > 2 ? `${head},${rest.slice(1)}` : `${head}}`;
    }
  } catch {
    return logtapeJsonLine(record);
  }
  return `${json.replace(JSON_CONTROL, escapeControl)}\n`;
}

const HEAD_KEYS = ["@timestamp", "level", "message", "logger", "toJSON"];

function levelName(level: LogLevel): string {
  return level === "warning" ? "WARN" : level.toUpperCase();
}

/** The last record's time as ISO text: lines within one millisecond share it. */
let lastAt = Number.NaN;
let lastIso = "";

function isoTime(at: number): string {
  if (at !== lastAt) {
    lastIso = new Date(at).toISOString();
    lastAt = at;
  }
  return lastIso;
}

function escapeControl(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Writes out buffered log lines; call before the process exits. */
export async function flushLogs(): Promise<void> {
  await dispose();
}

/** One JSON line on stderr for a failure off the response path: `msg` plus `fields` (ids only). */
export function logError(msg: string, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ level: "error", msg, ...fields }));
}

/** One JSON line on stderr for something worth noticing that is no fault: `msg` plus `fields`. */
export function logWarning(msg: string, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ level: "warn", msg, ...fields }));
}

/** A `catch` handler that logs `msg` with the error: `promise.catch(logFailure("..."))`. */
export function logFailure(msg: string): (error: unknown) => void {
  return (error) => logError(msg, { error: String(error) });
}

/** Writes one info record under `switchyard.<category>`; a no-op until logging is configured. */
export function infoLogger(
  category: string,
): (message: string, properties: Record<string, unknown>) => void {
  const logger = getLogger(["switchyard", category]);
  return (message, properties) => logger.info(message, properties);
}

/** Writes one debug record under `switchyard.<category>`; a no-op until logging is configured. */
export function debugLogger(
  category: string,
): (message: string, properties: Record<string, unknown>) => void {
  const logger = getLogger(["switchyard", category]);
  return (message, properties) => logger.debug(message, properties);
}
