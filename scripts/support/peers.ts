/**
 * Peer gateways for `deno task bench --peers`: the Portkey gateway, pinned in
 * `scripts/support/peers/package-lock.json`, installed with `npm ci` into a
 * cache directory on first use and run with Node on loopback, pointed at the
 * mock through its `x-portkey-provider` / `x-portkey-custom-host` headers.
 *
 * The lock overrides `@hono/node-server` to 1.14.0: with the 1.19 line that
 * Portkey's `^1.3.3` range resolves to today, every streamed answer fails
 * ("TypeError: immutable": Portkey appends headers to a response that
 * carries the upstream fetch's immutable headers), so only JSON would be
 * measured.
 *
 * @module
 */

import { type ServedProcess, startScriptProcess } from "./processes.ts";

const PEERS = new URL("./peers/", import.meta.url);
const PORTKEY_VERSION = "1.15.2";
const LOOPBACK = new URL("./peers/loopback.mjs", import.meta.url);

/** A running Portkey gateway and the headers that send a request on to `upstream`. */
export interface Peer {
  name: string;
  process: ServedProcess;
  url: string;
  headers: Record<string, string>;
}

/** Installs (once) and starts Portkey in front of `upstream`. */
export async function startPortkey(upstream: string): Promise<Peer> {
  const dir = await installPeers();
  const script = `${dir}/node_modules/@portkey-ai/gateway/build/start-server.js`;
  const port = freePort();
  const process = await startScriptProcess(
    ["--import", LOOPBACK.href, script, `--port=${port}`, "--headless"],
    {
      command: "node",
      ready: /running at:\S*\s+\S*(http:\/\/localhost:\d+)/,
      captureStderr: true,
      keepLines: 200,
    },
  );
  return {
    name: `portkey ${PORTKEY_VERSION}`,
    process,
    url: `${process.url}/v1/chat/completions`,
    headers: { "x-portkey-provider": "openai", "x-portkey-custom-host": upstream },
  };
}

/** `npm ci` of the pinned peers into a cache directory keyed by the lock's content. */
async function installPeers(): Promise<string> {
  const lock = await Deno.readTextFile(new URL("package-lock.json", PEERS));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(lock));
  const key = Array.from(new Uint8Array(digest).slice(0, 6), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const cache = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  const dir = `${cache}/switchyard-bench/peers-${key}`;
  try {
    await Deno.stat(`${dir}/node_modules/@portkey-ai/gateway/package.json`);
    return dir;
  } catch {
    // not installed yet
  }
  await Deno.mkdir(dir, { recursive: true });
  for (const file of ["package.json", "package-lock.json"]) {
    await Deno.copyFile(new URL(file, PEERS), `${dir}/${file}`);
  }
  console.log(`installing the pinned peer gateways into ${dir} (npm ci) ...`);
  const { success } = await new Deno.Command("npm", {
    args: ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"],
    cwd: dir,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error(`npm ci failed in ${dir}`);
  return dir;
}

/** A loopback port that was free a moment ago (Portkey takes a port number, not 0). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
