/**
 * Start-up from the environment: load the config, open KV, build the gateway.
 * Shared by `main.ts` (which calls `Deno.serve`) and `lib/serve.ts` (the
 * `export default { fetch }` module for `deno serve --parallel`).
 *
 * @module
 */

import { ConfigLoadError, loadConfig } from "./config/load.ts";
import { createGateway, type Gateway } from "./gateway.ts";
import { type Env, errorLine, exitWith, type ListenAddress, processEnv } from "./listen.ts";
import { configureLogging, flushLogs } from "./observe/logging.ts";
import { openStore, StoreOpenError } from "./state/kv.ts";
import { PoolSetupError } from "./pool/pool.ts";

export { type Env, processEnv };

/**
 * Boots a gateway, or prints one clear line and exits 1 when the config is
 * unusable or KV cannot be opened.
 */
export async function bootOrExit(env: Env = processEnv): Promise<Gateway> {
  try {
    await configureLogging(env);
    const config = await loadConfig(env);
    const store = await openStore(env("SWITCHYARD_KV"), env("DENO_DEPLOYMENT_ID") !== undefined);
    return await createGateway({
      config,
      kv: store.kv,
      kvPath: store.filePath,
      adminToken: env("SWITCHYARD_ADMIN_TOKEN") || undefined,
      metricsToken: env("SWITCHYARD_METRICS_TOKEN") || undefined,
      secret: env("SWITCHYARD_SECRET") || undefined,
    });
  } catch (error) {
    if (
      error instanceof ConfigLoadError || error instanceof PoolSetupError ||
      error instanceof StoreOpenError
    ) {
      exitWith(error.message);
    }
    throw error;
  }
}

/** `Deno.serve` on `address`, or one line and exit 1 when it cannot listen (a port in use). */
export function serveOrExit(
  address: ListenAddress,
  options: Omit<Deno.ServeTcpOptions, "hostname" | "port">,
  handler: Deno.ServeHandler,
): Deno.HttpServer {
  try {
    return Deno.serve({ ...options, ...address }, handler);
  } catch (error) {
    exitWith(`cannot listen on ${address.hostname}:${address.port}: ${errorLine(error)}`);
  }
}

/** On SIGINT/SIGTERM, flushes batched usage before exiting (where signals exist). */
export function closeOnSignals(gateway: Gateway, drain?: () => Promise<void>): void {
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    await drain?.().catch(() => {});
    await gateway.close().catch((error) => console.error(`switchyard: ${error}`));
    await flushLogs();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // No signals here (Windows SIGTERM, Deno Deploy): usage is still flushed every second.
    }
  }
}
