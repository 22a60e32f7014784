/**
 * Start-up from the environment: load the config, open KV, build the gateway.
 * The environment is read here (and in `listen.ts`) only; everything below
 * gets its settings as values.
 * Shared by `main.ts` (which calls `Deno.serve`) and `lib/serve.ts` (the
 * `export default { fetch }` module for `deno serve --parallel`).
 *
 * @module
 */

import { ConfigLoadError, loadConfigOrEmpty } from "./config/load.ts";
import { createGateway, type Gateway } from "./app.ts";
import { localSecret } from "./crypto/local_secret.ts";
import { randomToken } from "./crypto/random.ts";
import { isLoopback } from "./http/loopback.ts";
import {
  type Env,
  errorLine,
  exitWith,
  type ListenAddress,
  listenFrom,
  processEnv,
  wholeNumberSetting,
} from "./listen.ts";
import { configureLogging, flushLogs } from "./log.ts";
import { requestLogger } from "./observe/request_log.ts";
import { openStore, type Store, StoreOpenError } from "./kv/open.ts";
import { CredentialSetupError } from "./providers/credentials.ts";
import { AdminTokenStore } from "./routes/admin/admin_token.ts";
import { welcomeLines } from "./welcome.ts";

export { type Env, processEnv };

/** A booted gateway and what to tell its operator once it listens. */
export interface Booted {
  gateway: Gateway;
  /** The admin token this start made (a first run): print it once, it is stored only hashed. */
  createdToken?: string;
  /** Lines to print once listening at `origin` (e.g. `http://localhost:8787`). */
  welcome(origin: string): string[];
}

/**
 * Boots a gateway, or prints one clear line and exits 1 when the config is
 * unusable or KV cannot be opened. With no config it starts empty; with no
 * `SWITCHYARD_ADMIN_TOKEN` it uses (and on the first start makes) a token
 * stored hashed in KV; with no `SWITCHYARD_SECRET` on a local KV file it uses
 * (and makes) `switchyard.secret` beside that file.
 */
export async function bootOrExit(env: Env = processEnv): Promise<Booted> {
  try {
    await configureLogging(env("SWITCHYARD_LOG"));
    const { config, empty } = await loadConfigOrEmpty(env);
    const kvDeadlineMs = kvDeadlineFrom(env("SWITCHYARD_KV_DEADLINE_MS"));
    const store = await openStore(env("SWITCHYARD_KV"), onDeploy(env));
    const secret = await secretFor(env, store);
    const adminMode = adminModeFrom(env);
    const adminOff = adminMode === "off";
    const adminToken = adminOff ? undefined : env("SWITCHYARD_ADMIN_TOKEN") || undefined;
    if (adminToken !== undefined && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
      exitWith(
        `SWITCHYARD_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters ` +
          `(it has ${adminToken.length}); \`openssl rand -base64 32\` makes one`,
      );
    }
    if (adminMode === "on" && !onDeploy(env)) {
      warnIfExposed(listenFrom(env).hostname);
    }
    const adminTokens = adminOff || adminToken ? undefined : new AdminTokenStore(store.kv);
    const createdToken = await adminTokens?.ensure();
    const gateway = await createGateway({
      config,
      kv: store.kv,
      kvPath: store.filePath,
      kvLocation: env("SWITCHYARD_KV") || undefined,
      kvDeadlineMs,
      adminToken,
      adminTokens,
      metricsToken: env("SWITCHYARD_METRICS_TOKEN") || undefined,
      secret: secret.secret,
      logger: requestLogger(env("SWITCHYARD_LOG") !== "off"),
      tracing: env("OTEL_DENO") === "true",
      adminLoopbackOnly: adminMode === "loopback",
    });
    return {
      gateway,
      createdToken,
      welcome: (origin) =>
        welcomeLines({
          origin,
          admin: adminOff ? "off" : adminToken ? "env" : "kv",
          createdToken,
          emptyConfig: empty,
          createdSecretAt: secret.created ? secret.path : undefined,
        }),
    };
  } catch (error) {
    if (
      error instanceof ConfigLoadError || error instanceof CredentialSetupError ||
      error instanceof StoreOpenError
    ) {
      exitWith(error.message);
    }
    throw error;
  }
}

/**
 * Deno Deploy sets `DENO_DEPLOYMENT_ID` in every deployment (Classic and the
 * current platform), and the current platform also `DENO_DEPLOY=1`; nowhere
 * else sets either.
 */
export function onDeploy(env: Env): boolean {
  return env("DENO_DEPLOYMENT_ID") !== undefined || env("DENO_DEPLOY") === "1";
}

/**
 * `SWITCHYARD_KV_DEADLINE_MS`: a whole number of milliseconds from 100 to
 * 60000, or unset for the default; anything else stops start-up with one line.
 */
export function kvDeadlineFrom(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  return wholeNumberSetting("SWITCHYARD_KV_DEADLINE_MS", value, 100, 60_000);
}

/** The shortest `SWITCHYARD_ADMIN_TOKEN` start-up accepts. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** `SWITCHYARD_ADMIN`: `on` (unset), `off`, or `loopback`; anything else stops start-up. */
function adminModeFrom(env: Env): "on" | "off" | "loopback" {
  const value = env("SWITCHYARD_ADMIN") || "on";
  if (value === "on" || value === "off" || value === "loopback") return value;
  exitWith(`SWITCHYARD_ADMIN must be on, off or loopback, got "${value}"`);
}

/** One warning line when the admin API is reachable off this machine over plain HTTP. */
function warnIfExposed(hostname: string): void {
  if (isLoopback(hostname)) return;
  console.error(
    `switchyard: warning: the admin API listens on ${hostname} over plain HTTP, so its token ` +
      "crosses the network in clear text: serve it behind TLS, or set " +
      "SWITCHYARD_ADMIN=loopback (admin and dashboard for this machine only) or HOST=127.0.0.1",
  );
}

/** `SWITCHYARD_SECRET`, else the generated one beside a local KV file (or one in memory for `:memory:`). */
async function secretFor(
  env: Env,
  store: Store,
): Promise<{ secret: string; path?: string; created: boolean }> {
  const fromEnv = env("SWITCHYARD_SECRET");
  if (fromEnv) return { secret: fromEnv, created: false };
  if (store.filePath) {
    try {
      return await localSecret(store.filePath);
    } catch (error) {
      throw new StoreOpenError(
        `cannot keep the generated secret beside ${store.filePath}: ${errorLine(error)} ` +
          "(set SWITCHYARD_SECRET instead)",
      );
    }
  }
  if (env("SWITCHYARD_KV") === ":memory:") return { secret: randomToken(""), created: false };
  // A remote or Deploy KV: no local file to keep a generated secret in, and every host
  // sharing the KV must seal and open its credentials with the same one.
  throw new StoreOpenError(
    "a remote KV needs SWITCHYARD_SECRET (the same on every host that shares it); " +
      "`openssl rand -base64 32` makes one",
  );
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

/**
 * On SIGINT/SIGTERM: first closes the open Responses WebSockets with 1001, a
 * turn in flight finishing first (for up to 10 s, `SOCKET_DRAIN_MS`), then calls
 * `stopServer` (`server.shutdown()`: it waits for HTTP requests in flight,
 * but would close a WebSocket at once, with Deno's own 1001, cutting its
 * turn), then flushes batched usage, closes KV (where signals exist) and,
 * unless `exit` is false, exits.
 */
export function closeOnSignals(
  booted: Gateway | Promise<Gateway>,
  stopServer?: () => Promise<void>,
  exit = true,
): () => Promise<void> {
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    const gateway = await booted; // a signal while booting: close once booted
    await gateway.closeSockets().catch(() => {});
    await stopServer?.().catch(() => {});
    await gateway.close().catch((error) => console.error(`switchyard: ${error}`));
    await flushLogs();
    if (exit) Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // No signals here (Windows SIGTERM, Deno Deploy): usage is still flushed every second.
    }
  }
  return stop;
}

/**
 * {@linkcode closeOnSignals} for `lib/serve.ts`, in each `deno serve`
 * worker, called before it boots. `deno serve` adds a SIGTERM/SIGINT
 * listener of its own once it listens, which calls `server.shutdown()` at
 * once and so would close the WebSockets with Deno's 1001 before their turns
 * end: that listener is held back and called as the `stopServer` step
 * instead, after the sockets have drained. No `Deno.exit`: in one worker it
 * would end the process, cutting the other workers' turns and losing their
 * usage; the process ends once every worker's server has shut down. So a
 * worker must not miss a signal that comes while it starts (another worker
 * already serving, the process does not end by itself): `signalled` is
 * `lib/early_signal.ts`'s, listening before the gateway's modules are
 * evaluated; this is called before booting; and a server that starts
 * listening after the signal is shut down as it starts.
 */
export function closeServedOnSignals(booting: Promise<Gateway>, signalled: Promise<void>): void {
  const stop = closeOnSignals(booting, () => stopServer(), false);
  const stopServer = holdSignalListeners(); // after closeOnSignals: its own listener is added
  // A signal that came while this worker's modules were evaluated (`lib/early_signal.ts`).
  signalled.then(stop);
}

/**
 * From now on, SIGTERM/SIGINT listeners are kept instead of added (until one
 * of each was); the function returned calls them once. A listener added
 * after that call is called at once: the signal it waits for has come.
 */
export function holdSignalListeners(): () => Promise<void> {
  const original = Object.getOwnPropertyDescriptor(Deno, "addSignalListener");
  if (!original?.configurable) return () => Promise.resolve(); // cannot hold: as before
  const add = Deno.addSignalListener;
  const held = new Set<() => void>();
  const called = new Set<() => void>();
  let released = false;
  let count = 0;
  const call = (handler: () => void) => {
    if (called.has(handler)) return; // deno serve adds one handler for both signals
    called.add(handler);
    handler();
  };
  const hold = (signal: Deno.Signal, handler: () => void) => {
    if (signal !== "SIGTERM" && signal !== "SIGINT") return add(signal, handler);
    if (++count === 2) Object.defineProperty(Deno, "addSignalListener", original);
    if (released) queueMicrotask(() => call(handler));
    else held.add(handler);
  };
  Object.defineProperty(Deno, "addSignalListener", { ...original, value: hold });
  return () => {
    released = true;
    for (const handler of held) call(handler);
    held.clear();
    return Promise.resolve();
  };
}
