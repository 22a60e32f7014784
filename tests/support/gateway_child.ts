/**
 * A gateway process for multi-process tests: boots from the environment like
 * `main.ts`, but binds loopback only and prints its port.
 *
 * @module
 */

import { bootOrExit } from "../../lib/boot.ts";

const { gateway } = await bootOrExit();
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`listening on port ${port}`),
}, (request) => gateway.fetch(request));
Deno.addSignalListener("SIGTERM", () => {
  server.shutdown().then(() => Deno.exit(0));
});
