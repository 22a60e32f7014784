/**
 * `deno task serve`: runs `deno serve --parallel lib/serve.ts` (one worker
 * per core) on `HOST`:`PORT`, read as `main.ts` reads them. `deno serve`
 * takes its address only from `--host`/`--port`, and a task cannot expand
 * `${PORT:-8787}` on every platform, so this launcher builds the command.
 * Extra arguments go to `deno serve` (e.g. `deno task serve --watch`).
 * SIGINT and SIGTERM are passed on; the exit code is the server's.
 *
 * @module
 */

import { errorLine, exitWith, listenFrom, processEnv } from "../lib/listen.ts";
import { SOCKET_DRAIN_MS } from "../lib/pipeline/socket/limits.ts";

const ROOT = new URL("../", import.meta.url).pathname;

const address = listenFrom(processEnv);
if (address.port !== 0) {
  // `deno serve` would end with a stack trace: say it in one line, as main.ts does.
  try {
    Deno.listen(address).close();
  } catch (error) {
    exitWith(`cannot listen on ${address.hostname}:${address.port}: ${errorLine(error)}`);
  }
}

const child = new Deno.Command(Deno.execPath(), {
  args: [
    "serve",
    "--config",
    `${ROOT}deno.json`,
    "--parallel",
    "--host",
    address.hostname,
    "--port",
    String(address.port),
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    ...Deno.args,
    `${ROOT}lib/serve.ts`,
  ],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();

/**
 * Passes `signal` on, and once more if `deno serve` still runs when every
 * worker should have drained its WebSockets: a worker that was still
 * starting at the first one (before even its first module listened) hears
 * the second.
 */
function passOn(signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    return; // Already gone.
  }
  const again = setTimeout(() => {
    try {
      child.kill(signal);
    } catch {
      // Gone meanwhile.
    }
  }, SOCKET_DRAIN_MS + 5_000);
  Deno.unrefTimer(again);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  try {
    Deno.addSignalListener(signal, () => passOn(signal));
  } catch {
    // No such signal here (Windows SIGTERM): the child ends with this process's console.
  }
}
const status = await child.status;
Deno.exit(status.code);
