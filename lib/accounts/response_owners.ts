/**
 * Which client key created each stored response, and on which account.
 *
 * A stored response (OpenAI Responses API) lives on the account that served
 * it, and anyone holding that account's credential can read it. The gateway
 * remembers the responses each key creates, under
 * `["switchyard", "response-owner", responseId]` as `{key, account, at}` for
 * {@linkcode RESPONSE_OWNER_TTL_MS} (OpenAI keeps stored responses 30 days by
 * default), so that only the creating key can read, cancel or delete one, or
 * continue from it, and so that those requests go to the account that has it.
 *
 * A write starts as the id passes through the relayed body (a stream's
 * `response.created` event; a JSON body read whole, which is answered only
 * once the write is done, so the client's next request finds it on any
 * process), whichever account served it, after any failover. A lookup in the
 * same process waits for a write still in flight, so a client that cancels
 * the moment it sees a stream's id is not refused. (Through another process
 * sharing the KV, a lookup within the millisecond or so the commit of a
 * stream's id takes may still miss it.)
 *
 * An owner never changes once written, so the owners this process wrote or
 * read are kept in memory (bounded) and answer first. While the KV does not
 * answer, a write is kept and retried until it lands
 * (`lib/kv/retry_queue.ts`), and `remember` resolves once it is kept: a JSON
 * answer waits at most the KV deadline. A response this process does not
 * know is then treated as unknown (the request is refused as not found).
 *
 * @module
 */

import { isSafeId } from "../config/path_patterns.ts";
import { responseOwnerKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { RetryQueue } from "../kv/retry_queue.ts";

/** How long a response's creator is remembered: OpenAI's default retention of stored responses. */
export const RESPONSE_OWNER_TTL_MS = 30 * 24 * 3600_000;

/** Who created a response. */
export interface ResponseOwner {
  /** The client key's id. */
  key: string;
  /** The account that served it (and stores it). */
  account: string;
  /** Epoch ms. */
  at: number;
}

/** Owners kept in memory per process. */
const MEMORY_LIMIT = 10_000;

/** The creators of stored responses, in KV. */
export class ResponseOwners {
  readonly #writes = new Map<string, Promise<void>>();
  readonly #known = new Map<string, ResponseOwner>();
  readonly #retries: RetryQueue;

  constructor(
    private readonly kv: Deno.Kv,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#retries = new RetryQueue(reach, "response owner write");
  }

  /**
   * Records that `key` created `responseId` on `account`; the write runs in
   * the background, and the promise (which never rejects) says when it is done.
   */
  remember(responseId: string, key: string, account: string): Promise<void> {
    const pending = this.#writes.get(responseId);
    if (pending) return pending;
    if (!isSafeId(responseId)) return Promise.resolve();
    const owner: ResponseOwner = { key, account, at: Date.now() };
    this.#know(responseId, owner);
    const write = this.#retries.put(
      responseId,
      () =>
        withLockRetry(() =>
          this.kv.set(responseOwnerKey(responseId), owner, { expireIn: RESPONSE_OWNER_TTL_MS })
        ),
    ).finally(() => this.#writes.delete(responseId));
    this.#writes.set(responseId, write);
    return write;
  }

  /** The creator of `responseId`, if it is remembered. */
  async ownerOf(responseId: string): Promise<ResponseOwner | undefined> {
    if (!isSafeId(responseId)) return undefined;
    await this.#writes.get(responseId);
    let owner = this.#known.get(responseId);
    if (!owner) {
      try {
        const entry = await this.reach.call(
          "read a response owner",
          () => withLockRetry(() => this.kv.get<ResponseOwner>(responseOwnerKey(responseId))),
        );
        owner = entry.value ?? undefined;
        if (owner) this.#know(responseId, owner);
      } catch (error) {
        if (!(error instanceof KvUnreachable)) throw error;
      }
    }
    // KV expiry is lazy: an entry may outlive its expireIn for a while.
    return owner && owner.at + RESPONSE_OWNER_TTL_MS > Date.now() ? owner : undefined;
  }

  /** Waits for background writes (shutdown, tests); writes kept for the store's return stay kept. */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes.values()]);
    await this.#retries.settled();
  }

  /** Shutdown: one last try of kept writes. */
  close(): Promise<void> {
    return this.#retries.close();
  }

  #know(responseId: string, owner: ResponseOwner): void {
    this.#known.set(responseId, owner);
    if (this.#known.size > MEMORY_LIMIT) this.#known.delete(this.#known.keys().next().value!);
  }
}
