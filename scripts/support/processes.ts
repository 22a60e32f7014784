/**
 * Starting real gateway and mock-upstream processes for the benchmarks, the
 * demo, the soak and multi-process tests, and running the benchmarks' client
 * scripts. Each served child prints its URL on stdout; the rest of its output
 * is drained so a chatty child never blocks on a full pipe.
 *
 * @module
 */

/** A child process that serves HTTP. */
export interface ServedProcess {
  url: string;
  pid: number;
  /** Every stdout line after the listening line (drained continuously; see `keepLines`). */
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
  /** Keep only the last this many stdout lines (a benchmark's request log is long). */
  keepLines?: number;
  /** Deno flags before the script, e.g. `--cpu-prof` (Deno children only). */
  denoFlags?: string[];
  /** The program to run instead of Deno (arguments are then the program's own). */
  command?: string;
  /** The line that says it listens, its first group the URL (default "listening on http://..."). */
  ready?: RegExp;
  /** The folder it runs in (default this checkout's root): another checkout, for a baseline. */
  cwd?: string | URL;
}

/** For a benchmark's children: stderr kept for its notes, only the tail of a request log. */
export const QUIET: SpawnOptions = { captureStderr: true, keepLines: 200 };

const ROOT = new URL("../../", import.meta.url);
/** Every child announces itself with a line "... listening on http://host:port". */
const LISTENING = /listening on (http:\/\/\S+)\r?\n/;

/** Starts `main.ts` with the given environment on an ephemeral port. */
export function startGatewayProcess(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<ServedProcess> {
  const flags = options.denoFlags ?? [];
  return spawnServed(
    ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-write", ...flags, "main.ts"],
    { HOST: "127.0.0.1", PORT: "0", ...env },
    options,
  );
}

/**
 * The environment of a gateway with one OpenAI account at `upstream` (or
 * the given account), one group and one client key, and its KV at
 * `kvPath`: the benchmarks' gateway.
 */
export function oneAccountEnv(
  upstream: string,
  kvPath: string,
  clientKey: string,
  account: Record<string, unknown> = openaiAccountConfig("mock", upstream),
): Record<string, string> {
  return {
    SWITCHYARD_KV: kvPath,
    SWITCHYARD_CONFIG_JSON: JSON.stringify({
      accounts: [{ ...account, id: "mock" }],
      groups: [{ id: "bench", accounts: ["mock"] }],
      keys: [{ id: "bench", key: clientKey, group: "bench" }],
    }),
  };
}

/** An OpenAI API-key account on `baseUrl`: it serves Chat Completions natively. */
export function openaiAccountConfig(
  id: string,
  baseUrl: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, platform: "openai", baseUrl, apiKey: "sk-bench", ...extra };
}

/**
 * A Codex (ChatGPT sign-in) account on `baseUrl`, a mock of the ChatGPT
 * backend: it serves the Responses API only, so a Chat request reaches it
 * translated. Its token is good for a day and never refreshed here (the
 * token URL is a closed loopback port).
 */
export function codexAccountConfig(id: string, baseUrl: string): Record<string, unknown> {
  return {
    id,
    platform: "openai",
    baseUrl,
    oauth: {
      accessToken: "codex-bench-access",
      refreshToken: "codex-bench-refresh",
      expiresAt: Date.now() + 24 * 3600_000,
      accountId: "acct-bench",
      tokenUrl: "http://127.0.0.1:9/oauth/token",
    },
  };
}

/** Starts `scripts/support/mock_server.ts <mode> [modeArgs...]` in a process of its own. */
export function startMockProcess(
  mode: string,
  modeArgs: string[] = [],
  options: SpawnOptions = {},
): Promise<ServedProcess> {
  return spawnServed(
    ["run", "--allow-net", "scripts/support/mock_server.ts", mode, ...modeArgs],
    {},
    options,
  );
}

/** Starts `scripts/support/minimal_proxy.ts` (the benchmark's yardstick) in front of `upstream`. */
export function startMinimalProxy(
  upstream: string,
  mode: "plain" | "observed" | "buffered",
  options: SpawnOptions = {},
): Promise<ServedProcess> {
  return spawnServed(
    [
      "run",
      "--allow-net",
      ...(options.denoFlags ?? []),
      "scripts/support/minimal_proxy.ts",
      upstream,
      mode,
    ],
    {},
    options,
  );
}

/**
 * Starts any Deno script (arguments after `deno`) that prints "listening on
 * http://...", or with `command` and `ready` any program that says so its own way.
 */
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
  const child = new Deno.Command(options.command ?? Deno.execPath(), {
    args,
    cwd: options.cwd ?? ROOT,
    env,
    stdout: "piped",
    stderr: options.captureStderr ? "piped" : "inherit",
    stdin: options.stdinPipe ? "piped" : "null",
  }).spawn();
  const errors: string[] = [];
  const stderrDone = options.captureStderr
    ? collectLines(child.stderr.pipeThrough(new TextDecoderStream()), errors)
    : Promise.resolve();
  const ready = options.ready ?? LISTENING;
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
    const match = ready.exec(buffer);
    if (match) {
      url = match[1].replace(/0\.0\.0\.0|localhost/, "127.0.0.1");
      lines.push(...buffer.slice(match.index + match[0].length).split("\n"));
    }
  }
  const rest = lines.pop() ?? "";
  const drained = collectLines(readAll(reader), lines, rest, options.keepLines);
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

/**
 * Appends each complete line of `chunks` (after `partial`) to `into` until
 * they end, keeping the last `keep` lines when given.
 */
async function collectLines(
  chunks: AsyncIterable<string>,
  into: string[],
  partial = "",
  keep = Infinity,
): Promise<void> {
  for await (const text of chunks) {
    const parts = (partial + text).split("\n");
    partial = parts.pop() ?? "";
    into.push(...parts.filter(Boolean));
    if (into.length > keep) into.splice(0, into.length - keep);
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
    // The benchmark clients (autocannon) are pinned in the dev lock, not the gateway's.
    args: ["run", "--lock=deno.dev.lock", ...flags, script, JSON.stringify(spec)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs);
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

/**
 * Starts the KV Connect test server (`scripts/kv_server.ts`) on 127.0.0.1 on a free port, over
 * the KV file `path`, with the access token `token`; `flags` adds more (`--latency-ms 40`).
 */
export function startKvServerProcess(
  path: string,
  token: string,
  flags: string[] = [],
  options: SpawnOptions = {},
): Promise<ServedProcess> {
  return startScriptProcess([
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "scripts/kv_server.ts",
    "--port",
    "0",
    "--path",
    path,
    "--token",
    token,
    ...flags,
  ], options);
}
