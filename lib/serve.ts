/**
 * Entry module for `deno serve` (`deno task serve`, which adds `--parallel`):
 * Deno calls the default export's `fetch` for each request, on every worker.
 *
 * @module
 */

import { originFor } from "./welcome.ts";
import { bootOrExit, closeServedOnSignals } from "./boot.ts";
import { listenFrom, processEnv } from "./listen.ts";

const { gateway, createdToken, welcome } = await bootOrExit();
closeServedOnSignals(gateway);
if (createdToken) {
  // Every worker boots; only the one that made the first-run token prints it.
  const { hostname, port } = listenFrom(processEnv);
  for (const line of welcome(originFor(hostname, port))) console.log(line);
}

export default {
  fetch: (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> =>
    gateway.fetch(request, info),
} satisfies Deno.ServeDefaultExport;
