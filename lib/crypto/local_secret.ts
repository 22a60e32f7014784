/**
 * The encryption secret of a gateway started without `SWITCHYARD_SECRET` on a
 * local KV file: 32 random bytes written once, readable by the owner only, to
 * `switchyard.secret` beside the KV file. Accounts and OAuth tokens added from
 * the dashboard are sealed under it (see `secret_box.ts`), so a copy of the
 * KV file alone (a backup, a file shared by mistake) does not give them away.
 * A remote KV (KV Connect, Deno Deploy) has no such place: there the secret
 * must come from `SWITCHYARD_SECRET`.
 *
 * @module
 */

import { randomToken } from "./random.ts";

/** The file beside a KV file that holds its generated secret. */
export function localSecretPath(kvFilePath: string): string {
  const cut = Math.max(kvFilePath.lastIndexOf("/"), kvFilePath.lastIndexOf("\\"));
  return `${cut >= 0 ? kvFilePath.slice(0, cut + 1) : ""}switchyard.secret`;
}

/** Narrows an older secret file to `0600` (where files have modes). */
async function ownerOnly(path: string): Promise<void> {
  try {
    await Deno.chmod(path, 0o600);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotSupported)) throw error;
  }
}

/** Reads the secret beside `kvFilePath`, creating it first if needed; `created` says which. */
export async function localSecret(
  kvFilePath: string,
): Promise<{ secret: string; path: string; created: boolean }> {
  const path = localSecretPath(kvFilePath);
  const fresh = randomToken("");
  try {
    // createNew: of processes starting together, one writes and the others read its value.
    await Deno.writeTextFile(path, `${fresh}\n`, { createNew: true, mode: 0o600 });
    return { secret: fresh, path, created: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  // A racing writer may not have finished: wait briefly for a whole line.
  for (let attempt = 0; attempt < 50; attempt++) {
    const secret = (await Deno.readTextFile(path)).trim();
    if (secret.length > 0) {
      await ownerOnly(path);
      return { secret, path, created: false };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} is empty: delete it or set SWITCHYARD_SECRET`);
}
