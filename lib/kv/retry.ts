/**
 * Committing to Deno KV safely. Locally KV is a SQLite file that several
 * gateway processes may share, so operations can meet "database is locked"
 * and are retried with a short jittered backoff.
 *
 * @module
 */

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
