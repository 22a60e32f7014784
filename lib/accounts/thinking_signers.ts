/**
 * Which account signed each Anthropic thinking block the gateway relayed.
 *
 * A `thinking` block's `signature` (a `redacted_thinking` block's `data`)
 * verifies only on the account that made it; any other account answers 400
 * "Invalid signature in thinking block". The client sends the blocks back
 * with every later turn, and the turn may go to another account (failover,
 * rebinding). So as an answer passes through, each mark it carries is
 * remembered with the account that served it, under
 * `["switchyard", "thinking-signer", sha256(mark)]` for
 * {@linkcode THINKING_SIGNER_TTL_MS}; before a request is forwarded, the
 * signers of its blocks are looked up once, and each attempt keeps only the
 * blocks its own account signed (`keepOwnThinking`).
 *
 * The client's bytes are never touched: a transcript stays valid against
 * Anthropic itself. Known signers are kept in memory too (bounded), so a
 * process pays a KV read only for a block it has not seen; a mark nobody
 * recorded is remembered as unknown for a minute.
 *
 * While the KV does not answer, a lookup knows only this process's memory
 * and a write is kept and retried until it lands (`lib/kv/retry_queue.ts`).
 *
 * @module
 */

import { sha256Hex } from "../crypto/digest.ts";
import { thinkingSignerKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { RetryQueue } from "../kv/retry_queue.ts";

/** How long a signer is remembered: as long as Claude Code keeps a session to resume. */
export const THINKING_SIGNER_TTL_MS = 30 * 24 * 3600_000;

/** Signers kept in memory per process; the oldest go first. */
const MEMORY_LIMIT = 50_000;

/** How long a mark with no recorded signer is not looked up again. */
const UNKNOWN_FOR_MS = 60_000;

/** Deno KV reads at most this many keys at once. */
const KV_BATCH = 10;

/** The signers of thinking blocks, in KV and in memory. */
export class ThinkingSigners {
  readonly #known = new Map<string, string>();
  readonly #unknownUntil = new Map<string, number>();
  readonly #writes = new Set<Promise<void>>();
  readonly #retries: RetryQueue;

  constructor(
    private readonly kv: Deno.Kv,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#retries = new RetryQueue(reach, "thinking signer write");
  }

  /**
   * Records that `accountId` made the block marked `mark`; the write runs in
   * the background, and the promise (which never rejects) says when it is done.
   */
  remember(mark: string, accountId: string): Promise<void> {
    const digest = sha256Hex(mark);
    if (this.#known.get(digest) === accountId) return Promise.resolve();
    bounded(this.#known, digest, accountId);
    this.#unknownUntil.delete(digest);
    const write: Promise<void> = this.#retries.put(
      digest,
      () =>
        withLockRetry(() =>
          this.kv.set(thinkingSignerKey(digest), accountId, { expireIn: THINKING_SIGNER_TTL_MS })
        ),
    ).finally(() => this.#writes.delete(write));
    this.#writes.add(write);
    return write;
  }

  /** The known signers of `marks`, by mark. */
  async signersOf(marks: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const missing: { mark: string; digest: string }[] = [];
    const now = Date.now();
    for (const mark of new Set(marks)) {
      const digest = sha256Hex(mark);
      const account = this.#known.get(digest);
      if (account !== undefined) found.set(mark, account);
      else if ((this.#unknownUntil.get(digest) ?? 0) <= now) missing.push({ mark, digest });
    }
    for (let start = 0; start < missing.length; start += KV_BATCH) {
      const batch = missing.slice(start, start + KV_BATCH);
      let entries: Deno.KvEntryMaybe<string>[];
      try {
        entries = await this.reach.call(
          "read thinking signers",
          () =>
            withLockRetry(() =>
              this.kv.getMany<string[]>(batch.map(({ digest }) => thinkingSignerKey(digest)))
            ),
        );
      } catch (error) {
        if (error instanceof KvUnreachable) break; // What memory knows is all there is for now.
        throw error;
      }
      entries.forEach((entry, i) => {
        const { mark, digest } = batch[i];
        if (typeof entry.value === "string") {
          found.set(mark, entry.value);
          bounded(this.#known, digest, entry.value);
        } else {
          bounded(this.#unknownUntil, digest, now + UNKNOWN_FOR_MS);
        }
      });
    }
    return found;
  }

  /** Waits for background writes (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
    await this.#retries.settled();
  }

  /** Shutdown: one last try of kept writes. */
  close(): Promise<void> {
    return this.#retries.close();
  }
}

/** Sets `key` as the newest entry of `map`, dropping the oldest past the limit. */
function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MEMORY_LIMIT) map.delete(map.keys().next().value!);
}
