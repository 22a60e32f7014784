/**
 * A cheap "has any process written the local KV file since I last read it?"
 * check. A local Deno KV is a SQLite database in WAL mode; every commit, from
 * any process, writes its pages to the `-wal` file (appending, or from the
 * start again once a checkpoint has copied the log into the database), which
 * changes that file's modification time. Comparing a `stat` of it
 * (microseconds) with the one taken before the last KV read lets a request
 * skip the KV read (a hundred-odd microseconds) when nothing was written.
 *
 * While the `-wal` file exists it alone is the signature: a checkpoint writes
 * the database file but commits nothing. Without one (no connection open, or
 * not in WAL mode) the database file is statted too, as commits then go there.
 * One `stat` per request instead of two: they were 5% of the gateway's CPU.
 *
 * File times are coarse (a kernel tick), so like git's "racily clean" index
 * entries a signature is trusted only when every time in it is well before the
 * read that followed it: any later commit must then carry a newer time.
 * Remote KV (KV Connect, Deno Deploy) has no file and always reads.
 *
 * Requests that ask within one turn of the event loop (one run of JS between
 * two polls of the network, which is where new requests and their bytes come
 * in) share one `stat`: every one of them arrived before that turn began, so a
 * `stat` taken in it is as late as one per request would be, and a commit
 * another process finished before any of them arrived is seen by each. The
 * shared answer is dropped when the turn's queued jobs have run.
 *
 * @module
 */

import { resolve } from "node:path";

/** How far a file time must precede the verifying read to be trusted. */
export const RACY_MARGIN_MS = 50;

/** The state of the database files at one moment. */
export interface FileSignature {
  /** `mtime:size:ino` per file, `-` for a missing one. */
  text: string;
  /** The newest modification time among the files, epoch ms. */
  newestMtime: number;
}

/** Stats the files behind a local KV database. */
export class FileChangeSentinel {
  readonly #paths: string[];
  #verified: { signature: string; readStartedAt: number } | undefined;
  /** This turn's observation for {@linkcode unchanged} (`null`: none taken yet). */
  #thisTurn: string | undefined | null = null;
  readonly #endTurn = () => {
    this.#thisTurn = null;
  };

  constructor(databasePath: string) {
    // Absolute once: a relative path (the default `./data/switchyard.kv`) cost a
    // getcwd with every stat, and the open database stays where it was found.
    const path = resolve(databasePath);
    this.#paths = [`${path}-wal`, path];
  }

  /** Takes a signature now; `undefined` when the files cannot be read. */
  observe(): FileSignature | undefined {
    const parts: string[] = [];
    let newestMtime = 0;
    for (const path of this.#paths) {
      try {
        const info = Deno.statSync(path);
        const mtime = info.mtime?.getTime() ?? Date.now();
        newestMtime = Math.max(newestMtime, mtime);
        parts.push(`${mtime}:${info.size}:${info.ino ?? ""}`);
        // Every commit writes the log while it exists: the database file can wait.
        if (parts.length === 1) break;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) return undefined;
        parts.push("-");
      }
    }
    // No file at all (a path that is not a local KV, such as a KV Connect URL): nothing
    // to vouch for, so every request reads the state.
    if (parts.every((part) => part === "-")) return undefined;
    return { text: parts.join("|"), newestMtime };
  }

  /**
   * Records that a KV read which started at `readStartedAt` saw everything
   * written up to `signature`, taken just before that read.
   */
  verified(signature: FileSignature | undefined, readStartedAt: number): void {
    const trustworthy = signature !== undefined &&
      signature.newestMtime < readStartedAt - RACY_MARGIN_MS;
    this.#verified = trustworthy ? { signature: signature.text, readStartedAt } : undefined;
    this.#thisTurn = null;
  }

  /** True when no process can have written since the last verified read. */
  unchanged(): boolean {
    if (this.#verified === undefined) return false;
    if (this.#thisTurn === null) {
      this.#thisTurn = this.observe()?.text;
      // Queued behind the jobs already waiting: those of this turn share the observation.
      queueMicrotask(this.#endTurn);
    }
    return this.#thisTurn === this.#verified.signature;
  }
}
