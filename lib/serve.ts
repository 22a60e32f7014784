/**
 * Entry module for `deno serve` (`deno task serve`, which adds `--parallel`):
 * Deno calls the default export's `fetch` for each request, on every worker.
 *
 * @module
 */

// First, so that it listens for signals before the rest is evaluated (see its doc).
import { signalled } from "./early_signal.ts";
import { originFor } from "./welcome.ts";
import { bootOrExit, closeServedOnSignals } from "./boot.ts";
import { listenFrom, processEnv } from "./listen.ts";

const booting = bootOrExit();
// Before booting: a signal that comes while this worker boots must still stop it.
closeServedOnSignals(booting.then((booted) => booted.gateway), signalled);
const { gateway, createdToken, welcome } = await booting;
if (createdToken) {
  // Every worker boots; only the one that made the first-run token prints it.
  const { hostname, port } = listenFrom(processEnv);
  for (const line of welcome(originFor(hostname, port))) console.log(line);
}

export default {
  fetch: (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> =>
    gateway.fetch(request, info),
} satisfies Deno.ServeDefaultExport;
