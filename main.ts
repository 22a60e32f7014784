/**
 * Switchyard: a streaming gateway for AI APIs that fails over between pooled
 * upstream accounts. `deno task start` runs this file; so do `deno compile`
 * binaries and Deno Deploy.
 *
 * @module
 */

import { originFor } from "./lib/welcome.ts";
import { bootOrExit, closeOnSignals, serveOrExit } from "./lib/boot.ts";
import { brokenAnswer, errorResponse } from "./lib/http/errors.ts";
import { listenFrom, processEnv } from "./lib/listen.ts";
import { logError, logWarning } from "./lib/log.ts";

if (import.meta.main) {
  const address = listenFrom(processEnv);
  const { gateway, welcome } = await bootOrExit();
  const server = serveOrExit(address, {
    onListen: ({ hostname, port }) => {
      console.log(`switchyard: listening on http://${hostname}:${port}`);
      for (const line of welcome(originFor(hostname, port))) console.log(line);
    },
    onError: (error) => {
      // Deno.serve reports here too an answer whose body broke off after it began.
      const broken = brokenAnswer(error);
      if (broken === "upstream-cut") {
        logWarning("answer broke off mid-body", { error: String(error) });
      } else if (broken === "client-gone") {
        logWarning("client left mid-answer", { error: String(error) });
      } else logError("unhandled", { error: String(error) });
      return errorResponse("openai", 500, "internal gateway error");
    },
  }, (request, info) => gateway.fetch(request, info));

  // On SIGINT/SIGTERM: let WebSocket turns in flight finish and close their sockets, then
  // stop accepting and let HTTP requests in flight finish, flush, close KV.
  closeOnSignals(gateway, () => server.shutdown());
}
