/**
 * Real egress proxies on loopback for tests: Debian's `tinyproxy` (HTTP, with
 * optional basic auth) and `microsocks` (SOCKS5, with optional user and
 * password), installed with apt-get when missing (`.ci/run` installs them
 * too). Both bind their outgoing connections to {@linkcode PROXY_EGRESS_HOST},
 * so an upstream tells a proxied request from a direct one by its peer
 * address; tinyproxy also adds `Via`.
 *
 * @module
 */

import { within } from "./async.ts";

/** The address the proxies connect out from; direct requests come from 127.0.0.1. */
export const PROXY_EGRESS_HOST = "127.0.0.2";

/** A running proxy; `url` carries the credentials when it has some. */
export interface TestProxy extends AsyncDisposable {
  url: string;
  port: number;
}

/**
 * Why the proxies cannot run here, or `undefined` when both are installed
 * (installing them if needed). A test skips with the reason printed; under
 * CI (`CI` set: `.ci/run` installs them) a missing proxy throws instead, so
 * the proxy tests fail rather than pass by skipping.
 */
export async function proxiesMissing(
  ci = Deno.env.get("CI") !== undefined,
): Promise<string | undefined> {
  if (await installed()) return undefined;
  const apt = await run(["apt-get", "install", "-y", "tinyproxy", "microsocks"], {
    DEBIAN_FRONTEND: "noninteractive",
  });
  if (await installed()) return undefined;
  const reason =
    `tinyproxy and microsocks are not installed and apt-get could not install them (${apt})`;
  if (ci) throw new Error(`under CI the proxy tests must run: ${reason}`);
  return reason;
}

/** Starts tinyproxy on a free loopback port, with basic auth when `auth` is given. */
export async function startTinyproxy(
  auth?: { user: string; password: string },
): Promise<TestProxy> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "switchyard-tinyproxy-" });
  const conf = [
    `Port ${port}`,
    "Listen 127.0.0.1",
    `Bind ${PROXY_EGRESS_HOST}`,
    "Timeout 30",
    "MaxClients 100",
    "Allow 127.0.0.1",
    "LogLevel Critical",
    `PidFile "${dir}/tinyproxy.pid"`,
    ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
  ].join("\n");
  await Deno.writeTextFile(`${dir}/tinyproxy.conf`, conf);
  const child = spawn(["tinyproxy", "-d", "-c", `${dir}/tinyproxy.conf`]);
  await listening(port);
  const credentials = auth ? `${auth.user}:${auth.password}@` : "";
  return proxy(`http://${credentials}127.0.0.1:${port}`, port, child, dir);
}

/** Starts microsocks on a free loopback port, with a user and password when `auth` is given. */
export async function startMicrosocks(
  auth?: { user: string; password: string },
): Promise<TestProxy> {
  const port = freePort();
  const args = ["-i", "127.0.0.1", "-p", String(port), "-b", PROXY_EGRESS_HOST];
  if (auth) args.push("-u", auth.user, "-P", auth.password);
  const child = spawn(["microsocks", ...args]);
  await listening(port);
  const credentials = auth ? `${auth.user}:${auth.password}@` : "";
  return proxy(`socks5://${credentials}127.0.0.1:${port}`, port, child);
}

/** A mock upstream that records each request's peer address and `Via` header. */
export function peerRecordingUpstream(
  answer: (request: Request) => Response | Promise<Response>,
): { url: string; seen: { peer: string; via: string | null; path: string }[] } & AsyncDisposable {
  const seen: { peer: string; via: string | null; path: string }[] = [];
  const server = Deno.serve({ hostname: "0.0.0.0", port: 0, onListen() {} }, (request, info) => {
    seen.push({
      peer: info.remoteAddr.hostname,
      via: request.headers.get("via"),
      path: new URL(request.url).pathname,
    });
    return answer(request);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => within(server.shutdown(), "the upstream to shut down"),
  };
}

function proxy(url: string, port: number, child: Deno.ChildProcess, dir?: string): TestProxy {
  return {
    url,
    port,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function spawn(command: string[]): Deno.ChildProcess {
  return new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Waits until something accepts connections on `port` (at most 5 s). */
async function listening(port: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  throw new Error(`no proxy listening on port ${port}`);
}

async function installed(): Promise<boolean> {
  return (await run(["sh", "-c", "command -v tinyproxy && command -v microsocks"])) === "ok";
}

async function run(command: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const out = await new Deno.Command(command[0], {
      args: command.slice(1),
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success ? "ok" : `exit ${out.code}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
