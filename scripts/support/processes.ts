/**
 * Starting real gateway and mock-upstream processes for the benchmark, the
 * demo and multi-process tests. Each child prints its URL on stdout; the rest
 * of its output is drained so a chatty child never blocks on a full pipe.
 *
 * @module
 */

/** A child process that serves HTTP. */
export interface ServedProcess {
  url: string;
  /** Every stdout line after the listening line (drained continuously). */
  lines: string[];
  stop(): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url);
/** Every child announces itself with "... listening on http://host:port". */
const LISTENING = /listening on (http:\/\/\S+)/;

/** Starts `main.ts` with the given environment on an ephemeral port. */
export function startGatewayProcess(env: Record<string, string>): Promise<ServedProcess> {
  return spawnServed(
    ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "main.ts"],
    { HOST: "127.0.0.1", PORT: "0", ...env },
    LISTENING,
  );
}

/** Starts `scripts/support/mock_server.ts` in a process of its own. */
export function startMockProcess(mode: string): Promise<ServedProcess> {
  return spawnServed(["run", "--allow-net", "scripts/support/mock_server.ts", mode], {}, LISTENING);
}

/** Starts `scripts/support/minimal_proxy.ts` (the benchmark's yardstick) in front of `upstream`. */
export function startMinimalProxy(
  upstream: string,
  mode: "plain" | "observed",
): Promise<ServedProcess> {
  return spawnServed(
    ["run", "--allow-net", "scripts/support/minimal_proxy.ts", upstream, mode],
    {},
    LISTENING,
  );
}

async function spawnServed(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<ServedProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines: string[] = [];
  const decoder = new TextDecoderStream();
  const reader = child.stdout.pipeThrough(decoder).getReader();
  let buffer = "";
  let url: string | undefined;
  while (url === undefined) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`process exited before listening: ${args.join(" ")}`);
    buffer += value;
    const match = ready.exec(buffer);
    if (match) url = match[1].replace("0.0.0.0", "127.0.0.1");
  }
  const drained = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      lines.push(...value.split("\n").filter(Boolean));
    }
  })();
  return {
    url,
    lines,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await drained.catch(() => {});
    },
  };
}
