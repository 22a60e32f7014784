/**
 * Real `main.ts` processes for tests: start-up failures (exit code, stderr)
 * and gateways sharing one KV file. Children run with the same Deno binary as
 * the tests and with a minimal environment, so nothing from the caller's shell
 * (a stray `SWITCHYARD_CONFIG_JSON`, say) leaks in.
 *
 * @module
 */

import { within } from "./async.ts";

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

/** Runs `main.ts` to completion (for start-up failures). */
export async function runMain(
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: RUN_ARGS,
    cwd: ROOT,
    clearEnv: true,
    env: { ...baseEnv(), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
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
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts `main.ts` on port 0 and waits for its `switchyard: listening on
 * http://HOST:PORT` line.
 */
export async function startMainProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: RUN_ARGS,
    cwd: ROOT,
    clearEnv: true,
    env: { ...baseEnv(), PORT: "0", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  let errors = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (errors += chunk) }),
  ).catch(() => {});

  const { promise: listening, resolve, reject } = Promise.withResolvers<string>();
  let seen = "";
  const stdoutDone = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        seen += chunk;
        const match = /switchyard: listening on http:\/\/[^\s:]+:(\d+)/.exec(seen);
        if (match) resolve(`http://127.0.0.1:${match[1]}`);
      },
      close: () => reject(new Error(`main.ts exited before listening:\n${errors}`)),
    }),
  ).catch(() => {});

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

  let url: string;
  try {
    url = await within(listening, "the gateway process to listen", 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stderr: () => errors, stop, [Symbol.asyncDispose]: stop };
}
