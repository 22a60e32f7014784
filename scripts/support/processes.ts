/**
 * Starting real gateway and mock-upstream processes for the benchmarks, the
 * demo and multi-process tests. Each child prints its URL on stdout; the rest
 * of its output, and all of its error output, is drained (the last lines
 * kept) so a chatty child never blocks on a full pipe.
 *
 * @module
 */

/** A child process that serves HTTP. */
export interface ServedProcess {
  url: string;
  pid: number;
  /** The last stdout lines after the listening line (drained continuously). */
  lines: string[];
  /** The last stderr lines, and how many there were in all. */
  errors: { lines: string[]; count: number };
  /** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url);
/** Every Deno child announces itself with "... listening on http://host:port". */
const LISTENING = /listening on (http:\/\/\S+)/;
const KEPT_LINES = 200;

/**
 * Starts `main.ts` with the given environment on an ephemeral port;
 * `denoFlags` go before the script (e.g. `--cpu-prof`).
 */
export function startGatewayProcess(
  env: Record<string, string>,
  denoFlags: string[] = [],
): Promise<ServedProcess> {
  return spawnServed(Deno.execPath(), [
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    ...denoFlags,
    "main.ts",
  ], { HOST: "127.0.0.1", PORT: "0", ...env });
}

/** Starts `scripts/support/mock_server.ts` in a process of its own. */
export function startMockProcess(mode: string, ...options: string[]): Promise<ServedProcess> {
  return spawnServed(Deno.execPath(), [
    "run",
    "--allow-net",
    "scripts/support/mock_server.ts",
    mode,
    ...options,
  ], {});
}

/** Starts `scripts/support/minimal_proxy.ts` (the benchmark's yardstick) in front of `upstream`. */
export function startMinimalProxy(
  upstream: string,
  mode: "plain" | "observed",
): Promise<ServedProcess> {
  return spawnServed(Deno.execPath(), [
    "run",
    "--allow-net",
    "scripts/support/minimal_proxy.ts",
    upstream,
    mode,
  ], {});
}

/**
 * Spawns `command` and resolves once a stdout line matches `ready`, whose
 * first group is the URL (`localhost` and `0.0.0.0` become `127.0.0.1`).
 */
export async function spawnServed(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp = LISTENING,
): Promise<ServedProcess> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const lines: string[] = [];
  const errors = { lines: [] as string[], count: 0 };
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const drainedErrors = drain(stderr, (added) => errors.count += keepLast(errors.lines, added));
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let url: string | undefined;
  while (url === undefined) {
    const { done, value } = await reader.read();
    if (done) {
      await drainedErrors.catch(() => {});
      throw new Error(
        `process exited before listening: ${command} ${args.join(" ")}\n${errors.lines.join("\n")}`,
      );
    }
    buffer += value;
    const match = ready.exec(buffer);
    if (match) url = match[1].replace(/0\.0\.0\.0|localhost/, "127.0.0.1");
  }
  const drained = drain(reader, (added) => keepLast(lines, added));
  return {
    url,
    pid: child.pid,
    lines,
    errors,
    async stop(graceMs = 10_000) {
      signal(child, "SIGTERM");
      const timer = setTimeout(() => signal(child, "SIGKILL"), graceMs);
      await child.status;
      clearTimeout(timer);
      await Promise.all([drained, drainedErrors]).catch(() => {});
    },
  };
}

async function drain(
  reader: ReadableStreamDefaultReader<string>,
  onLines: (lines: string[]) => void,
): Promise<void> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onLines(value.split("\n").filter(Boolean));
  }
}

/** Appends `added` to `lines`, keeping the last few; returns how many were added. */
function keepLast(lines: string[], added: string[]): number {
  lines.push(...added);
  if (lines.length > KEPT_LINES) lines.splice(0, lines.length - KEPT_LINES);
  return added.length;
}

function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch {
    // already gone
  }
}

/**
 * Runs `deno run <flags> <script> <spec as JSON>` to completion and parses the
 * last line it prints as JSON; the child is killed after `timeoutMs`.
 */
export async function runJsonScript<T>(
  script: string,
  flags: string[],
  spec: unknown,
  timeoutMs: number,
): Promise<T> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, script, JSON.stringify(spec)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => signal(child, "SIGKILL"), timeoutMs);
  try {
    const { success, stdout } = await child.output();
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    if (!success) throw new Error(`${script} failed or timed out: ${lines.at(-1) ?? ""}`);
    return JSON.parse(lines.at(-1)!) as T;
  } finally {
    clearTimeout(timer);
  }
}

/** The child's side of {@linkcode runJsonScript}: the spec is the first argument, the result one JSON line. */
export async function answerJsonScript<Spec, Result>(
  run: (spec: Spec) => Promise<Result>,
): Promise<void> {
  console.log(JSON.stringify(await run(JSON.parse(Deno.args[0]) as Spec)));
}

/**
 * Runs `body` with a list to put its started processes in, and stops them all
 * however it ends: normally, by an error, on Ctrl-C/SIGTERM, or when it runs
 * past `budgetMs` (then the script exits with status 1).
 */
export async function supervised<T>(
  budgetMs: number,
  body: (processes: ServedProcess[]) => Promise<T>,
): Promise<T> {
  const processes: ServedProcess[] = [];
  const stopAll = () => Promise.all(processes.splice(0).map((process) => process.stop(3_000)));
  const exitAfterStop = (code: number, why: string) => () => {
    console.error(`\n${why}: stopping ${processes.length} child processes`);
    stopAll().finally(() => Deno.exit(code));
  };
  const onSignal = exitAfterStop(130, "interrupted");
  const watchdog = setTimeout(
    exitAfterStop(1, `over the ${budgetMs / 1000} s time budget`),
    budgetMs,
  );
  for (const name of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(name, onSignal);
  try {
    return await body(processes);
  } finally {
    clearTimeout(watchdog);
    for (const name of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(name, onSignal);
    await stopAll();
  }
}
