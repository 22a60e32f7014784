/**
 * Starting real gateway and mock-upstream processes for the benchmark, the
 * demo, the soak and multi-process tests. Each child prints its URL on stdout;
 * the rest of its output is drained so a chatty child never blocks on a full
 * pipe.
 *
 * @module
 */

/** A child process that serves HTTP. */
export interface ServedProcess {
  url: string;
  pid: number;
  /** Every stdout line after the listening line (drained continuously). */
  lines: string[];
  /** Every stderr line, when started with `captureStderr` (else stderr is inherited). */
  errors: string[];
  /** Resolves when the process exits, however it exits. */
  status: Promise<Deno.CommandStatus>;
  /** Sends a signal; false when the process is already gone. */
  kill(signal: Deno.Signal): boolean;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs` (default 30 s). */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** How a child is started. */
export interface SpawnOptions {
  /** Collect stderr lines in `errors` instead of passing them through. */
  captureStderr?: boolean;
  /** Give the child a pipe on stdin that closes when this process exits. */
  stdinPipe?: boolean;
}

const ROOT = new URL("../../", import.meta.url);
/** Every child announces itself with a line "... listening on http://host:port". */
const LISTENING = /listening on (http:\/\/\S+)\r?\n/;

/** Starts `main.ts` with the given environment on an ephemeral port. */
export function startGatewayProcess(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<ServedProcess> {
  return spawnServed(
    ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "main.ts"],
    { HOST: "127.0.0.1", PORT: "0", ...env },
    options,
  );
}

/** Starts `scripts/support/mock_server.ts` in a process of its own. */
export function startMockProcess(mode: string): Promise<ServedProcess> {
  return spawnServed(["run", "--allow-net", "scripts/support/mock_server.ts", mode], {});
}

/** Starts `scripts/support/minimal_proxy.ts` (the benchmark's yardstick) in front of `upstream`. */
export function startMinimalProxy(
  upstream: string,
  mode: "plain" | "observed",
): Promise<ServedProcess> {
  return spawnServed(
    ["run", "--allow-net", "scripts/support/minimal_proxy.ts", upstream, mode],
    {},
  );
}

/** Starts any Deno script (arguments after `deno`) that prints "listening on http://...". */
export function startScriptProcess(
  args: string[],
  options: SpawnOptions = {},
): Promise<ServedProcess> {
  return spawnServed(args, {}, options);
}

async function spawnServed(
  args: string[],
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<ServedProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: options.captureStderr ? "piped" : "inherit",
    stdin: options.stdinPipe ? "piped" : "null",
  }).spawn();
  const errors: string[] = [];
  const stderrDone = options.captureStderr
    ? collectLines(child.stderr.pipeThrough(new TextDecoderStream()), errors)
    : Promise.resolve();
  const lines: string[] = [];
  const decoder = new TextDecoderStream();
  const reader = child.stdout.pipeThrough(decoder).getReader();
  let buffer = "";
  let url: string | undefined;
  while (url === undefined) {
    const { done, value } = await reader.read();
    if (done) {
      await stderrDone;
      throw new Error(`process exited before listening: ${args.join(" ")}\n${errors.join("\n")}`);
    }
    buffer += value;
    const match = LISTENING.exec(buffer);
    if (match) {
      url = match[1].replace("0.0.0.0", "127.0.0.1");
      lines.push(...buffer.slice(match.index + match[0].length).split("\n"));
    }
  }
  const rest = lines.pop() ?? "";
  const drained = collectLines(readAll(reader), lines, rest);
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
      return true;
    } catch {
      return false; // already gone
    }
  };
  return {
    url,
    pid: child.pid,
    lines,
    errors,
    status: child.status,
    kill,
    async stop(graceMs = 30_000) {
      kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
      await Promise.race([child.status, late]);
      clearTimeout(timer);
      kill("SIGKILL");
      const status = await child.status;
      await drained.catch(() => {});
      await stderrDone.catch(() => {});
      return status;
    },
  };
}

/** Appends each complete line of `chunks` (after `partial`) to `into` until they end. */
async function collectLines(
  chunks: AsyncIterable<string>,
  into: string[],
  partial = "",
): Promise<void> {
  for await (const text of chunks) {
    const parts = (partial + text).split("\n");
    partial = parts.pop() ?? "";
    into.push(...parts.filter(Boolean));
  }
  if (partial) into.push(partial);
}

async function* readAll(reader: ReadableStreamDefaultReader<string>): AsyncIterable<string> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}
