/**
 * Opening Deno KV and committing to it safely. Locally KV is a SQLite file
 * that several gateway processes may share, so commits can meet "database is
 * locked" and are retried with a short jittered backoff.
 *
 * @module
 */

/** Every key the gateway writes starts with this, so one KV can hold other data too. */
export const ROOT = "switchyard";

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

async function openStoreAt(setting: string | undefined, onDeploy: boolean): Promise<Store> {
  if (setting === undefined && onDeploy) return { kv: await Deno.openKv() };
  const path = setting ?? "./data/switchyard.kv";
  if (path === ":memory:" || /^https?:\/\//.test(path)) return { kv: await Deno.openKv(path) };
  const dir = path.replace(/[\\/][^\\/]*$/, "");
  if (dir && dir !== path) await Deno.mkdir(dir, { recursive: true });
  return { kv: await Deno.openKv(path), filePath: path };
}

/** Is this a transient SQLite lock error worth retrying? */
export function isLockError(error: unknown): boolean {
  return error instanceof Error && /database is locked|SQLITE_BUSY|busy/i.test(error.message);
}

/** Runs a KV operation, retrying lock errors up to `attempts` times. */
export async function withLockRetry<T>(operation: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isLockError(error) || attempt >= attempts) throw error;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(200, 2 ** attempt) * Math.random() + 1)
      );
    }
  }
}
