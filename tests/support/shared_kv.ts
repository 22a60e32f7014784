/**
 * The "shared KV" fixture: one store several gateways share, either a local
 * KV file or a remote KV reached over KV Connect through the test server
 * (`scripts/kv_server.ts`). {@linkcode bothKvs} registers a test once per kind
 * with the same body, so every two-gateway assertion runs on both.
 *
 * @module
 */

import { eventually } from "./async.ts";
import { SECRET } from "./gateway.ts";
import { type KvServer, startKvServer } from "./kv_server.ts";

/** How late the remote test store delivers watch updates, ms. */
export const WATCH_DELAY_MS = 60;

/** The two kinds of shared store. */
export type SharedKvKind = "file" | "remote";

/** The same access token for every test server: `DENO_KV_ACCESS_TOKEN` is process-wide. */
export const TEST_KV_TOKEN = "switchyard-test-kv-token-0123456789";

/** A store gateways share, and the environment that points `main.ts` at it. */
export interface SharedKv extends AsyncDisposable {
  kind: SharedKvKind;
  /** A temporary directory for config files and the like. */
  dir: string;
  /** `SWITCHYARD_KV`'s value: the file path or the KV Connect URL. */
  location: string;
  /** For `main.ts`: `SWITCHYARD_KV`, `SWITCHYARD_SECRET` and, when remote, `DENO_KV_ACCESS_TOKEN`. */
  env: Record<string, string>;
  /** The test server, when remote (its fault switches). */
  server?: KvServer;
  close(): Promise<void>;
}

/**
 * Opens a shared store of `kind` in a fresh temporary directory. For a remote
 * one it also sets this process's `DENO_KV_ACCESS_TOKEN`, so an in-process
 * gateway (`startGateway({ kvPath: kv.location })`) can open it too.
 */
export async function sharedKv(kind: SharedKvKind): Promise<SharedKv> {
  const dir = await Deno.makeTempDir({ prefix: `switchyard-shared-${kind}-` });
  const remove = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  if (kind === "file") {
    const location = `${dir}/shared.kv`;
    const env = { SWITCHYARD_KV: location, SWITCHYARD_SECRET: SECRET };
    return { kind, dir, location, env, close: remove, [Symbol.asyncDispose]: remove };
  }
  const server = await startKvServer({ path: `${dir}/server.kv`, token: TEST_KV_TOKEN });
  Deno.env.set("DENO_KV_ACCESS_TOKEN", TEST_KV_TOKEN);
  // Watch deliveries come late, as a remote KV's do: a test that takes a delivery for granted
  // before its next request fails every run here, not once in a while on a loaded CI machine.
  await server.faults({ watchDelayMs: WATCH_DELAY_MS });
  const close = async () => {
    await server.stop();
    await remove();
  };
  return {
    kind,
    dir,
    location: server.url,
    env: {
      SWITCHYARD_KV: server.url,
      SWITCHYARD_SECRET: SECRET,
      DENO_KV_ACCESS_TOKEN: TEST_KV_TOKEN,
    },
    server,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Registers `name` twice, "(KV file)" and "(remote KV)", each with its own shared store. */
export function bothKvs(
  name: string,
  body: (kv: SharedKv, t: Deno.TestContext) => Promise<void>,
): void {
  for (const kind of ["file", "remote"] as const) {
    Deno.test(`${name} (${kind === "file" ? "KV file" : "remote KV"})`, async (t) => {
      await using kv = await sharedKv(kind);
      await body(kv, t);
    });
  }
}

/**
 * On a remote KV, waits until `check` says another process has seen a commit:
 * there the promise is for requests that arrive after the watch stream
 * delivered it (docs/several-hosts.md), and the next request of a test can
 * outrun that delivery on a loaded machine. On a KV file it checks nothing:
 * the very next request must see the commit.
 */
export async function seenOnRemote(
  kv: SharedKv,
  check: () => Promise<boolean>,
  what: string,
): Promise<void> {
  if (kv.kind === "remote") await eventually(async () => await check() || undefined, what);
}
