/**
 * Shared set-up for the pool-feature tests: a temporary KV file, gateways
 * served on loopback sockets (in this process or as real child processes),
 * and small client helpers.
 *
 * @module
 */

import { validateConfig } from "../../lib/config/validate.ts";
import { createGateway, type Gateway, type GatewayOptions } from "../../lib/app.ts";

/** The secret every test gateway uses. */
export const TEST_SECRET = "test-secret-0123456789abcdef";
/** The client key every test config has. */
export const CLIENT_KEY = "sk-client-test-key";
/** The admin token of test gateways. */
export const ADMIN_TOKEN = "admin-token-for-tests";

/** A temporary directory with a KV file path in it. */
export async function tempKvPath(): Promise<
  { dir: string; path: string; cleanup(): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-pool-" });
  return {
    dir,
    path: `${dir}/state.kv`,
    cleanup: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/** A config document with one group `team` holding `accounts` and the test key. */
export function configDoc(
  accounts: Record<string, unknown>[],
  extra: {
    group?: Record<string, unknown>;
    key?: Record<string, unknown>;
    root?: Record<string, unknown>;
  } = {},
): Record<string, unknown> {
  return {
    accounts,
    groups: [{ id: "team", accounts: accounts.map((a) => a.id), ...extra.group }],
    keys: [{ id: "tester", key: CLIENT_KEY, group: "team", ...extra.key }],
    ...extra.root,
  };
}

/** A gateway served on 127.0.0.1:0 in this process. */
export interface ServedGateway {
  url: string;
  gateway: Gateway;
  kv: Deno.Kv;
  close(): Promise<void>;
}

/** Builds and serves a gateway on its own KV handle for `kvPath`. */
export async function serveGateway(
  doc: Record<string, unknown>,
  kvPath: string,
  options: Partial<GatewayOptions> = {},
): Promise<ServedGateway> {
  const kv = await Deno.openKv(kvPath);
  const gateway = await createGateway({
    config: validateConfig(doc, () => undefined),
    kv,
    adminToken: ADMIN_TOKEN,
    secret: TEST_SECRET,
    logger: () => {},
    ...options,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => gateway.fetch(request),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    gateway,
    kv,
    async close() {
      await server.shutdown();
      await gateway.settled();
      kv.close();
    },
  };
}

/** A gateway running as a separate OS process (`tests/support/gateway_child.ts`). */
export interface ChildGateway {
  url: string;
  close(): Promise<void>;
}

/** Starts a gateway process on the config file and KV path given. */
export async function spawnGateway(configPath: string, kvPath: string): Promise<ChildGateway> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("./gateway_child.ts", import.meta.url).pathname],
    env: {
      SWITCHYARD_CONFIG: configPath,
      SWITCHYARD_KV: kvPath,
      SWITCHYARD_SECRET: TEST_SECRET,
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
      SWITCHYARD_LOG: "off",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port: string | undefined;
  while (port === undefined) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`gateway process exited before listening: ${text}`);
    text += value;
    port = /listening on port (\d+)/.exec(text)?.[1];
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      child.kill("SIGTERM");
      await child.status;
      await drain.catch(() => {});
    },
  };
}

/** Posts JSON to a gateway with the test key. */
export function post(
  url: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${CLIENT_KEY}`,
      "content-type": "application/json",
      ...headers,
    },
    body: JSON.stringify(body),
    signal,
  });
}

/** `GET /admin/accounts`. */
export async function adminAccounts(url: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${url}/admin/accounts`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return await response.json();
}

/** A promise with its resolver, for gating mock upstreams. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}

/** Polls `check` until it holds (no timing assertion: it only bounds a hang). */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}
