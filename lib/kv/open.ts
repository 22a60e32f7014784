/**
 * Opening Deno KV from the `SWITCHYARD_KV` setting: a local SQLite file (its
 * directory created on demand), `:memory:`, a KV Connect URL, or Deno
 * Deploy's managed KV. A local store is its owner's only: a directory made
 * here is `0700`, and the KV file and SQLite's `-wal` and `-shm` files beside
 * it are `0600` (SQLite gives the files it makes later the KV file's mode).
 *
 * @module
 */

import { withLockRetry } from "./retry.ts";

/** An open store, with the file behind it when it is local. */
export interface Store {
  kv: Deno.Kv;
  /** The SQLite file, for a local store; `undefined` for `:memory:` and remote stores. */
  filePath?: string;
}

/** KV cannot be opened (a bad path, a KV Connect URL without its token): stops start-up. */
export class StoreOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreOpenError";
  }
}

/**
 * Opens the store named by `SWITCHYARD_KV`: a file path, `:memory:`, or a KV
 * Connect URL (self-hosted `denokv`, Deno Deploy). On Deno Deploy, with no
 * setting, `Deno.openKv()` gets no argument and uses the managed KV. Failures
 * are {@linkcode StoreOpenError}s naming the setting.
 */
export async function openStore(setting: string | undefined, onDeploy: boolean): Promise<Store> {
  try {
    return await openStoreAt(setting, onDeploy);
  } catch (error) {
    const what = setting === undefined ? "the default KV" : `SWITCHYARD_KV "${shown(setting)}"`;
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new StoreOpenError(`cannot open ${what}: ${reason}`);
  }
}

/** A setting as it may be printed: a URL loses any user name and password. */
function shown(setting: string): string {
  if (!/^https?:\/\//.test(setting)) return setting;
  try {
    const url = new URL(setting);
    return `${url.origin}${url.pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** Where `SWITCHYARD_KV` points: Deploy's managed KV, a KV Connect URL, memory, or a local file. */
export type StoreTarget =
  | { kind: "deploy" }
  | { kind: "remote"; url: string }
  | { kind: "memory" }
  | { kind: "file"; path: string };

/**
 * The store a setting names. Only on Deno Deploy with no setting does
 * `Deno.openKv()` get no argument: elsewhere that opens a default local file.
 */
export function storeTarget(setting: string | undefined, onDeploy: boolean): StoreTarget {
  if (setting === undefined && onDeploy) return { kind: "deploy" };
  const path = setting ?? "./data/switchyard.kv";
  if (path === ":memory:") return { kind: "memory" };
  if (/^https?:\/\//.test(path)) return { kind: "remote", url: path };
  return { kind: "file", path };
}

async function openStoreAt(setting: string | undefined, onDeploy: boolean): Promise<Store> {
  const target = storeTarget(setting, onDeploy);
  if (target.kind === "deploy") return { kv: await Deno.openKv() };
  if (target.kind === "remote") return { kv: await Deno.openKv(target.url) };
  if (target.kind === "memory") return { kv: await Deno.openKv(":memory:") };
  const path = target.path;
  const dir = path.replace(/[\\/][^\\/]*$/, "");
  if (dir && dir !== path && !(await exists(dir))) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await ownerOnly(dir, 0o700); // mkdir's mode is narrowed by the umask, never widened
  }
  // Two gateways starting at once on a new file both switch it to WAL mode, and SQLite may
  // answer one of them "database is locked" at once (or after its own 5 s wait): try again.
  const kv = await withLockRetry(() => Deno.openKv(path), 5);
  for (const file of [path, `${path}-wal`, `${path}-shm`]) await ownerOnly(file, 0o600);
  return { kv, filePath: path };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Narrows a file's mode to `mode`; where there are no modes (Windows) or no file, nothing. */
export async function ownerOnly(path: string, mode: number): Promise<void> {
  try {
    await Deno.chmod(path, mode);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotSupported) return;
    throw error;
  }
}
