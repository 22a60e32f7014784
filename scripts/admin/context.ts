/**
 * What every `deno task admin` command gets: its arguments, an HTTP client
 * for the management API that turns a refusal into one readable line, and
 * printing that is a table for people or the API's JSON with `--json`.
 *
 * @module
 */

/** Where the CLI reads settings and writes output (tests pass their own). */
export interface AdminIo {
  env(name: string): string | undefined;
  out(line: string): void;
  err(line: string): void;
  /** Everything on standard input (`error-rules set`); the process's stdin by default. */
  input?(): Promise<string>;
  /** One line typed or pasted (`login-codex`); the process's stdin by default. */
  readLine?(): Promise<string>;
}

/** Option values, as `node:util` `parseArgs` returns them. */
export type Values = Record<string, string | boolean | undefined>;

/** A problem to report with exit code 1 (an API refusal) or 2 (misuse). */
export class CliError extends Error {
  constructor(message: string, readonly code: 1 | 2 = 1) {
    super(message);
  }
}

/** One command's view of the world. */
export interface Command {
  io: AdminIo;
  values: Values;
  /** The positionals after the noun and verb (ids). */
  args: string[];
  call(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Prints the API's JSON with `--json`, else the lines `human` makes. */
  print(data: unknown, human: () => string[]): void;
}

/** An HTTP client for `url` with the admin token. */
export function apiClient(url: string, token: string): Command["call"] {
  return async (method, path, body) => {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CliError(`cannot reach ${url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch { /* not JSON */ }
    if (!response.ok) {
      const message = (data as { error?: { message?: string } })?.error?.message ?? text;
      throw new CliError(`${response.status}: ${message}`);
    }
    return data;
  };
}

/** A required positional or option. */
export function need(what: string, value: string | boolean | undefined): string {
  if (typeof value !== "string" || value === "") {
    throw new CliError(`missing ${what}`, 2);
  }
  return value;
}

/** A whole number from a flag; `none` means "lift the limit" (`null`) where `lift` allows it. */
export function integer(flag: string, raw: string, lift = false): number | null {
  if (lift && raw === "none") return null;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) {
    throw new CliError(`--${flag} must be a number${lift ? ' or "none"' : ""}`, 2);
  }
  return value;
}

/** The given numeric flags as API fields (`--daily-tokens` → `dailyTokens`). */
export function numericFields(
  values: Values,
  flags: readonly (readonly [string, string])[],
  lift: boolean,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [flag, field] of flags) {
    const raw = values[flag];
    if (typeof raw === "string") out[field] = integer(flag, raw, lift);
  }
  return out;
}

/** Seconds as `1m05s`. */
export function seconds(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** Rows under a header, columns padded. */
export function table(header: string[], rows: unknown[][]): string[] {
  const cells = [header, ...rows.map((row) => row.map((cell) => String(cell)))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) =>
    row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()
  );
}
