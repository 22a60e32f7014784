/**
 * Real `main.ts` processes for tests: start-up failures (exit code, stderr)
 * and gateways sharing one KV file. Children run with the same Deno binary as
 * the tests and with a minimal environment, so nothing from the caller's shell
 * (a stray `SWITCHYARD_CONFIG_JSON`, say) leaks in.
 *
 * @module
 */

import assert from "node:assert/strict";
import { within } from "./async.ts";
import { ADMIN_TOKEN, SECRET } from "./gateway.ts";

/** The repository root, where `deno.json` (with `"unstable": ["kv"]`) lives. */
export const ROOT = new URL("../../", import.meta.url).pathname;

const RUN_ARGS = [
  "run",
  "--config",
  `${ROOT}deno.json`,
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  `${ROOT}main.ts`,
];

/** The caller's variables Deno itself needs (cache location, PATH); nothing else. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", SWITCHYARD_LOG: "off" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Runs `main.ts` to completion (for start-up failures); killed after `ms` if it serves instead. */
export async function runMain(
  env: Record<string, string>,
  ms = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const killer = new AbortController();
  const timer = setTimeout(() => killer.abort(), ms);
  const output = await new Deno.Command(Deno.execPath(), {
    args: RUN_ARGS,
    cwd: ROOT,
    clearEnv: true,
    env: { ...baseEnv(), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: killer.signal,
  }).output().finally(() => clearTimeout(timer));
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A gateway process that is serving. */
export interface GatewayProcess extends AsyncDisposable {
  /** e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The address the process said it listens on, e.g. `127.0.0.1:41234`. */
  listening: string;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  stop(): Promise<void>;
}

/**
 * Starts `main.ts` on 127.0.0.1, port 0 (unless `env` says otherwise), and
 * waits for its `switchyard: listening on http://HOST:PORT` line. `cwd`
 * (default the repository) is where relative paths such as the default
 * `./switchyard.json` and `./data/switchyard.kv` resolve.
 */
export function startMainProcess(
  env: Record<string, string>,
  cwd = ROOT,
): Promise<GatewayProcess> {
  return startListening(
    RUN_ARGS,
    { HOST: "127.0.0.1", PORT: "0", ...env },
    /switchyard: listening on http:\/\/([^\s/]+):(\d+)/,
    cwd,
  );
}

/**
 * A gateway process on a config file and a KV file (shared with others), with
 * the tests' secret and admin token; `env` adds to it (a remote KV's token).
 */
export function spawnGateway(
  configPath: string,
  kvPath: string,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  return startMainProcess({
    SWITCHYARD_CONFIG: configPath,
    SWITCHYARD_KV: kvPath,
    SWITCHYARD_SECRET: SECRET,
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    ...env,
  });
}

/** Starts `deno task serve` and waits for `deno serve`'s `Listening on http://HOST:PORT/` line. */
export function startServeTask(env: Record<string, string>): Promise<GatewayProcess> {
  return startListening(
    ["task", "--config", `${ROOT}deno.json`, "serve"],
    env,
    /Listening on http:\/\/([^\s/]+):(\d+)/,
  );
}

/** Spawns Deno with `args` and waits until stdout or stderr matches `listening` (host, port). */
export async function startListening(
  args: string[],
  env: Record<string, string>,
  listening: RegExp,
  cwd = ROOT,
): Promise<GatewayProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    clearEnv: true,
    env: { ...baseEnv(), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const { promise: listened, resolve, reject } = Promise.withResolvers<RegExpExecArray>();
  let output = "";
  let errors = "";
  let printed = "";
  let open = 2;
  const collect = (stream: ReadableStream<Uint8Array>, isStderr: boolean) =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write(chunk) {
          output += chunk;
          if (isStderr) errors += chunk;
          else printed += chunk;
          const match = listening.exec(output);
          if (match) resolve(match);
        },
        close() {
          if (--open === 0) {
            reject(new Error(`${args.join(" ")} exited before listening:\n${output}`));
          }
        },
      }),
    ).catch(() => {});
  const stdoutDone = collect(child.stdout, false);
  const stderrDone = collect(child.stderr, true);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await child.status;
    await stdoutDone;
    await stderrDone;
  };

  let match: RegExpExecArray;
  try {
    match = await within(listened, `${args.join(" ")} to listen`, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${match[2]}`,
    listening: `${match[1]}:${match[2]}`,
    stderr: () => errors,
    stdout: () => printed,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Asserts a start-up refusal: exit 1, one stderr line naming each of `parts`, no stack trace. */
export function assertOneLineExit(
  result: { code: number; stdout: string; stderr: string },
  ...parts: (string | RegExp)[]
): void {
  assert.equal(result.code, 1, `exit code; stderr:\n${result.stderr}`);
  const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
  assert.equal(lines.length, 1, `exactly one stderr line, got:\n${result.stderr}`);
  for (const part of parts) {
    if (typeof part === "string") assert.ok(lines[0].includes(part), `${lines[0]} names ${part}`);
    else assert.match(lines[0], part);
  }
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  assert.doesNotMatch(result.stderr, /Uncaught|error: /, "no uncaught error");
  assert.equal(result.stdout, "", "nothing on stdout: it never listened");
}

/** Runs a script of this repository (e.g. `scripts/admin.ts`) to completion, in `cwd`. */
export async function runScript(
  script: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--config", `${ROOT}deno.json`, "-A", `${ROOT}${script}`, ...args],
    cwd: options.cwd ?? ROOT,
    clearEnv: true,
    env: { ...baseEnv(), ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await within(child.output(), `${script} ${args.join(" ")}`, 60_000);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
