/**
 * Start-up from the environment: load the config, open KV, build the gateway.
 * Shared by `main.ts` (which calls `Deno.serve`) and `lib/serve.ts` (the
 * `export default { fetch }` module for `deno serve --parallel`).
 *
 * @module
 */

import { ConfigLoadError, loadConfig } from "./config/load.ts";
import { createGateway, type Gateway } from "./gateway.ts";
import { configureLogging, flushLogs } from "./observe/logging.ts";
import { openStore } from "./state/kv.ts";
import { PoolSetupError } from "./pool/pool.ts";

/** Reads environment variables (a function so tests can pass their own). */
export type Env = (name: string) => string | undefined;

/** The process environment. */
export const processEnv: Env = (name) => Deno.env.get(name);

/** Boots a gateway, or prints one clear line and exits 1 when the config is unusable. */
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
    if (error instanceof ConfigLoadError || error instanceof PoolSetupError) {
      console.error(`switchyard: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}

/** The port from `PORT`, default 8787. */
export function portFrom(env: Env): number {
  const raw = env("PORT") ?? "8787";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`switchyard: PORT must be a whole number from 0 to 65535, got "${raw}"`);
    Deno.exit(1);
  }
  return port;
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
