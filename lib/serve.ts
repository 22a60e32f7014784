/**
 * Entry module for `deno serve` (`deno task serve`, which adds `--parallel`):
 * Deno calls the default export's `fetch` for each request, on every worker.
 *
 * @module
 */

import { bootOrExit, closeOnSignals } from "./boot.ts";

const gateway = await bootOrExit();
closeOnSignals(gateway);

export default {
  fetch: (request: Request): Promise<Response> => gateway.fetch(request),
} satisfies Deno.ServeDefaultExport;
